"""Understanding Vietnamese: text normalisation (plain Python, shared by both
environments) and the Rasa graph components built on it."""
