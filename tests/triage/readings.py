"""A stand-in for the learned model, so that tests of the rules, cases and pages do not depend
on what the shipped corpus teaches (tests/triage/test_learned.py tests the model itself)."""
from triage.learned import ROUTES, Prediction


class Reading:
    """Reads every text as `intent` (triage.learned.Predictor's interface)."""

    version = None

    def __init__(self, intent="no_action", *, confidence=0.9, safeguarding=False, service="", foi=None):
        self.intent, self.confidence, self.safeguarding, self.service = intent, confidence, safeguarding, service
        self.foi = foi  # the probability of an FOI request, when not the chosen route

    def predict(self, texts):
        others = round((1 - self.confidence) / 5, 4)
        probabilities = {r: self.confidence if r == self.intent else others for r in ROUTES}
        if self.foi is not None:
            probabilities["foi"] = self.foi
        # Unsure that no service is concerned, so the service phrases still place it.
        return [Prediction(route=self.intent, route_probabilities=probabilities, service=self.service,
                           service_probabilities={self.service: 0.8 if self.service else 0.3},
                           safeguarding=self.safeguarding,
                           safeguarding_probability=0.9 if self.safeguarding else 0.01, confidence=self.confidence)
                for _ in texts]

    def explain(self, text, route=None, top=8):
        return []


class ReadingByText(Reading):
    """Reads each text as the intent of the first key found in it (else `intent`)."""

    def __init__(self, by_text: dict, intent="no_action", **kwargs):
        super().__init__(intent, **kwargs)
        self.by_text = by_text

    def predict(self, texts):
        out = []
        for text in texts:
            found = next((v for k, v in self.by_text.items() if k in text), None)
            reading = Reading(found, confidence=self.confidence) if isinstance(found, str) else found or self
            out += Reading.predict(reading, [text])
        return out
