"""An MLflow `PythonModel` around a Slant model folder, so `mlflow.pyfunc.load_model(uri)`
scores text: a DataFrame with a `text` column (or a list of strings) in, one probability column
per technique plus `labels` out. Imported only when MLflow is in use."""

from __future__ import annotations

import mlflow.pyfunc
import pandas as pd


class SlantPyfunc(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        from slant.models.classifier import SlantClassifier

        self.classifier = SlantClassifier.from_pretrained(context.artifacts["model"])

    def predict(self, context, model_input, params=None):
        if isinstance(model_input, pd.DataFrame):
            texts = model_input["text"].astype(str).tolist()
        elif isinstance(model_input, str):
            texts = [model_input]
        else:
            texts = [str(t) for t in model_input]
        probabilities = self.classifier.predict_proba(texts)
        frame = pd.DataFrame(probabilities, columns=self.classifier.labels)
        frame.insert(0, "labels", self.classifier.decide(probabilities))
        return frame
