// Slant editor page. Every piece of user or model text reaches the page through textContent or
// createTextNode, never through HTML parsing, so a draft containing markup is shown as text.
"use strict";

const state = {
  techniques: [],      // [{id, name, definition}] in the model's order
  colour: new Map(),   // technique id -> colour class "c0".."c15"
  maxChars: 100000,
  analysis: null,      // the last POST /api/analyse response
  text: "",            // the text that analysis is about
  complete: false,     // whether the analysis has trigger words yet
  run: 0,              // increments per Check; answers to older runs are dropped
};

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const percent = (p) => `${Math.round(p * 100)}%`;
const nameOf = (id) => (state.techniques.find((t) => t.id === id) || { name: id }).name;

// -- start-up ---------------------------------------------------------------------------------
async function start() {
  $("draft").addEventListener("input", updateCounter);
  $("draft").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) analyse();
  });
  $("analyse").addEventListener("click", analyse);
  $("clear").addEventListener("click", clearAll);
  $("export").addEventListener("click", exportJson);
  setUpTooltip();
  try {
    const [health, techniques] = await Promise.all([getJson("/health"), getJson("/api/techniques")]);
    state.maxChars = health.max_chars;
    state.techniques = techniques;
    techniques.forEach((t, i) => state.colour.set(t.id, `c${i % 16}`));
    $("model-status").textContent = `Model: ${shortModelName(health.model)}`;
    $("model-status").title = health.model;
    renderLegend($("legend-all"), techniques.map((t) => [t.id, null]));
  } catch (error) {
    $("model-status").textContent = "Server unavailable";
    showMessage(`Cannot reach the Slant server: ${error.message}`);
  }
  updateCounter();
}

async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}

function shortModelName(model) {
  const parts = String(model).split("/").filter(Boolean);
  return parts.length ? parts.slice(-2).join("/") : String(model);
}

function updateCounter() {
  const size = Array.from($("draft").value).length;  // code points, as the server counts
  const counter = $("char-count");
  counter.textContent = `${size.toLocaleString("en")} / ${state.maxChars.toLocaleString("en")} characters`;
  counter.classList.toggle("over", size > state.maxChars);
}

// -- analysing --------------------------------------------------------------------------------
async function analyse() {
  const text = $("draft").value;
  if (!text.trim()) {
    showError("The draft is empty: paste or type some text first.");
    return;
  }
  const body = { text };
  const threshold = $("threshold").value.trim();
  if (threshold !== "") {
    const value = Number(threshold);
    if (!(value >= 0 && value <= 1)) {
      showError("Threshold must be a number from 0 to 1, or empty for the model's tuned thresholds.");
      return;
    }
    body.threshold = value;
  }
  showMessage("");
  setBusy(true);
  const run = ++state.run;
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(2);
  try {
    // Two passes: techniques and probabilities first (one model pass per sentence), then
    // trigger words (one per word of each flagged sentence; the scores come from the
    // server's cache), so the highlights show up before the slower part is done.
    const scored = await postAnalyse({ ...body, triggers: false });
    if (run !== state.run) return;
    show(scored, text, false);
    document.body.classList.remove("busy");  // the result is current; only trigger words are pending
    $("model-status").textContent =
      `Model: ${shortModelName(scored.model)} · checked in ${seconds()} s · finding trigger words…`;
    const explained = await postAnalyse({ ...body, triggers: true });
    if (run !== state.run) return;
    show(explained, text, true);
    $("model-status").textContent =
      `Model: ${shortModelName(explained.model)} · checked in ${seconds()} s with trigger words`;
  } catch (error) {
    if (run === state.run) showError(error.message);
  } finally {
    if (run === state.run) setBusy(false);
  }
}

async function postAnalyse(body) {
  const response = await fetch("/api/analyse", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(problemText(response.status, payload));
  return payload;
}

function show(analysis, text, complete) {
  state.analysis = analysis;
  state.text = text;
  state.complete = complete;
  hideTooltip();
  render();
  // Text in a language the model does not read comes back unlabelled, with a one-line warning.
  showMessage(analysis.warning || "", "notice");
}

function problemText(status, payload) {
  const detail = payload && payload.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail) && detail.length) return detail.map((d) => d.msg).join("; ");
  return `The server answered ${status}.`;
}

function setBusy(busy) {
  $("analyse").disabled = busy;
  $("analyse").textContent = busy ? "Checking…" : "Check";
  document.body.classList.toggle("busy", busy);
}

function showMessage(text, kind = "error") {
  const message = $("message");
  message.textContent = text;
  message.classList.toggle("notice", kind === "notice");
  message.hidden = !text;
}

// An error is about the draft as it is now: a result of an earlier draft must not stay beside it.
function showError(text) {
  clearResult("No result: see the message beside the draft.");
  showMessage(text, "error");
}

function clearResult(placeholder) {
  state.analysis = null;
  state.text = "";
  state.complete = false;
  $("summary").hidden = true;
  $("export").disabled = true;
  $("annotated").replaceChildren(el("p", "empty", placeholder));
  delete $("annotated").dataset.state;
  hideTooltip();
  $("legend-found").replaceChildren();
  $("legend-empty").hidden = false;
  $("legend-empty").textContent = "None yet.";
}

function clearAll() {
  state.run += 1;
  setBusy(false);
  $("draft").value = "";
  updateCounter();
  showMessage("");
  clearResult("Nothing checked yet.");
  $("draft").focus();
}

// -- rendering --------------------------------------------------------------------------------
function render() {
  const { sentences, summary } = state.analysis;
  renderSummary(summary);
  renderText(state.text, sentences);
  const found = Object.entries(summary.by_label).sort((a, b) => b[1] - a[1]);
  renderLegend($("legend-found"), found);
  $("legend-empty").hidden = found.length > 0;
  $("legend-empty").textContent = "No technique found at this threshold.";
  $("export").disabled = !state.complete;
  $("annotated").dataset.state = state.complete ? "complete" : "scored";
}

function renderSummary(summary) {
  $("summary").hidden = false;
  const noun = summary.sentences === 1 ? "sentence" : "sentences";
  $("summary-line").textContent = state.analysis.warning
    ? `Not labelled: the text is not in English (detected: ${state.analysis.language})`
    : `${summary.flagged} of ${summary.sentences} ${noun} flagged`;
  const counts = Object.entries(summary.by_label).sort((a, b) => b[1] - a[1]);
  const total = counts.reduce((sum, [, n]) => sum + n, 0);
  const bar = $("summary-bar");
  const chips = $("summary-chips");
  bar.replaceChildren();
  chips.replaceChildren();
  for (const [id, count] of counts) {
    const segment = el("span", `segment ${state.colour.get(id) || ""}`);
    segment.style.flexGrow = String(count / total);
    segment.title = `${nameOf(id)}: ${count}`;
    bar.append(segment);
    const chip = el("li", `chip ${state.colour.get(id) || ""}`);
    chip.dataset.label = id;
    chip.append(el("span", "swatch"), el("span", "chip-name", nameOf(id)), el("span", "chip-count", String(count)));
    chips.append(chip);
  }
  bar.hidden = counts.length === 0;
}

// Python offsets count code points; JavaScript strings count UTF-16 units. Map one to the other
// so drafts with emoji or other astral characters still highlight the right words.
function utf16Offsets(text) {
  const offsets = [0];
  for (const character of text) offsets.push(offsets[offsets.length - 1] + character.length);
  return offsets;
}

function renderText(text, sentences) {
  const at = utf16Offsets(text);
  const container = $("annotated");
  container.replaceChildren();
  let cursor = 0;
  sentences.forEach((sentence, index) => {
    container.append(document.createTextNode(text.slice(at[cursor], at[sentence.start])));
    container.append(sentenceNode(text, at, sentence, index));
    cursor = sentence.end;
  });
  container.append(document.createTextNode(text.slice(at[cursor])));
}

function sentenceNode(text, at, sentence, index) {
  const node = el("span", "sentence");
  node.dataset.index = String(index);
  if (!sentence.labels.length) {
    node.textContent = text.slice(at[sentence.start], at[sentence.end]);
    return node;
  }
  node.classList.add("flagged", state.colour.get(sentence.labels[0]));
  node.dataset.labels = sentence.labels.join(" ");
  node.tabIndex = 0;
  node.setAttribute("aria-label", `${sentence.text} (${sentence.labels.map(nameOf).join(", ")})`);
  let cursor = sentence.start;
  for (const [start, end, label] of triggerSpans(sentence)) {
    node.append(document.createTextNode(text.slice(at[cursor], at[start])));
    const mark = el("mark", `trigger ${state.colour.get(label)}`, text.slice(at[start], at[end]));
    mark.dataset.label = label;
    node.append(mark);
    cursor = end;
  }
  node.append(document.createTextNode(text.slice(at[cursor], at[sentence.end])));
  return node;
}

// Technique spans (models with a span head: they arrive with the scores, before any trigger
// word) and trigger phrases of all the sentence's techniques, earliest first; a phrase
// overlapping an earlier one is left out (the tooltip still lists it).
function triggerSpans(sentence) {
  const spans = (sentence.spans || []).map((span) => [span.start, span.end, span.label]);
  for (const label of sentence.labels) {
    for (const trigger of sentence.triggers[label] || []) spans.push([trigger.start, trigger.end, label]);
  }
  spans.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const kept = [];
  for (const span of spans) {
    if (!kept.length || span[0] >= kept[kept.length - 1][1]) kept.push(span);
  }
  return kept;
}

function renderLegend(list, entries) {
  list.replaceChildren();
  for (const [id, count] of entries) {
    const technique = state.techniques.find((t) => t.id === id) || { id, name: id, definition: "" };
    const term = el("dt", `legend-term ${state.colour.get(id) || ""}`);
    term.dataset.label = id;
    term.append(el("span", "swatch"), el("span", "legend-name", technique.name));
    if (count !== null) term.append(el("span", "legend-count", `${count} ${count === 1 ? "sentence" : "sentences"}`));
    list.append(term, el("dd", "legend-definition", technique.definition));
  }
}

// -- tooltips ---------------------------------------------------------------------------------
function setUpTooltip() {
  const container = $("annotated");
  const show = (event) => {
    const sentence = event.target.closest(".sentence.flagged");
    if (sentence) showTooltip(sentence, event.type === "focusin" ? null : event);
  };
  container.addEventListener("mouseover", show);
  container.addEventListener("focusin", show);
  container.addEventListener("mousemove", (event) => {
    const sentence = event.target.closest(".sentence.flagged");
    if (!$("tooltip").hidden && sentence) placeBeside(sentence, event);
  });
  container.addEventListener("mouseout", (event) => {
    if (!event.relatedTarget || !event.relatedTarget.closest || !event.relatedTarget.closest(".sentence.flagged")) hideTooltip();
  });
  container.addEventListener("focusout", hideTooltip);
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") hideTooltip(); });
}

// The tooltip details the most probable techniques; the rest share one line, so a sentence
// flagged for many techniques does not bury the text under its tooltip.
const TOOLTIP_ROWS = 5;

function showTooltip(node, event) {
  const sentence = state.analysis.sentences[Number(node.dataset.index)];
  const tooltip = $("tooltip");
  tooltip.replaceChildren();
  for (const label of sentence.labels.slice(0, TOOLTIP_ROWS)) {
    const row = el("div", `tip-row ${state.colour.get(label)}`);
    row.dataset.label = label;
    const head = el("div", "tip-head");
    head.append(el("span", "swatch"), el("span", "tip-name", nameOf(label)),
      el("span", "tip-probability", percent(sentence.scores[label])));
    const spans = (sentence.spans || []).filter((span) => span.label === label)
      // offsets count code points (Python str indices), not UTF-16 units
      .map((span) => ({ text: Array.from(sentence.text).slice(span.start - sentence.start,
                                                               span.end - sentence.start).join("") }));
    const noSpan = (sentence.no_span || []).includes(label);
    row.append(head, triggerLine(sentence.triggers[label] || (spans.length ? spans : []), noSpan));
    tooltip.append(row);
  }
  const rest = sentence.labels.slice(TOOLTIP_ROWS);
  if (rest.length) {
    const more = rest.map((label) => `${nameOf(label)} ${percent(sentence.scores[label])}`).join(", ");
    tooltip.append(el("div", "tip-more", `Also: ${more}`));
  }
  tooltip.hidden = false;
  placeBeside(node, event);
}

function triggerLine(triggers, noSpan = false) {
  const line = el("div", "tip-triggers");
  if (noSpan && !triggers.length) {
    line.append(el("span", "tip-caption", "No span of this technique found in the sentence."));
  } else if (!state.complete && !triggers.length) {
    line.append(el("span", "tip-caption", "Finding trigger words…"));
  } else if (triggers.length) {
    line.append(el("span", "tip-caption", "Triggered by "));
    triggers.forEach((trigger, i) => {
      if (i) line.append(document.createTextNode(", "));
      line.append(el("q", "tip-trigger", trigger.text));
    });
  } else {
    line.append(el("span", "tip-caption", "No single words stand out."));
  }
  return line;
}

// The tooltip sits above the line of the sentence being read (the line under the pointer, or
// the first line when focused by keyboard), so the text that comes next stays visible; only
// when there is no room above does it go below the sentence's last line.
const TOOLTIP_GAP = 6;

function placeBeside(node, event) {
  const tooltip = $("tooltip");
  tooltip.style.left = "0px";  // measure at full width, before the right edge squeezes it
  tooltip.style.top = "0px";
  const width = tooltip.offsetWidth;
  const height = tooltip.offsetHeight;
  const lines = Array.from(node.getClientRects());
  if (!lines.length) lines.push(node.getBoundingClientRect());
  const line = (event && lines.find((r) => event.clientY >= r.top && event.clientY <= r.bottom)) || lines[0];
  const x = event ? event.clientX : line.left;
  const left = Math.max(8, Math.min(x, window.innerWidth - width - 8));
  const above = line.top - height - TOOLTIP_GAP;
  const below = lines[lines.length - 1].bottom + TOOLTIP_GAP;
  tooltip.style.left = `${left}px`;
  tooltip.style.top = `${above >= 8 ? above : below}px`;
}

function hideTooltip() {
  $("tooltip").hidden = true;
}

// -- export -----------------------------------------------------------------------------------
function exportJson() {
  if (!state.analysis) return;
  const blob = new Blob([JSON.stringify(state.analysis, null, 2)], { type: "application/json" });
  const link = el("a");
  link.href = URL.createObjectURL(blob);
  link.download = "slant-analysis.json";
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

document.addEventListener("DOMContentLoaded", start);
