"""The platforms citizens write from: Rasa input/output channels and the web chat."""
