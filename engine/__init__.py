"""Extensions of the Rasa server itself (engine environment): how it is
started with its secrets, and how conversations are stored. Neither
understanding (``nlu/``) nor a platform (``channels/``)."""
