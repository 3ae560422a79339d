"""The 16 label ids, in order, as the contract with other tools fixes them."""

EXPECTED_IDS = [
    "loaded_language", "name_calling_labeling", "repetition", "exaggeration_minimisation", "doubt",
    "appeal_to_fear_prejudice", "flag_waving", "causal_oversimplification", "appeal_to_authority",
    "slogans", "whataboutism_straw_men_red_herring", "black_and_white_fallacy",
    "thought_terminating_cliches", "bandwagon_reductio_ad_hitlerum", "hedged_attribution",
    "official_narrative_echoing",
]
