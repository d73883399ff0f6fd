"""What the assistant does: the action server (rasa-sdk), one module per goal."""
