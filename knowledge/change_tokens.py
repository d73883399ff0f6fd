"""Cheap change tokens of what the assistant answers from, in SQLAlchemy Core
text that runs the same in 1.4 (engine) and 2.0 (app): a reader re-reads
cards, catalog entries, attached questions or questions marked as private
matters only when their token moves.
The NLU's matcher (``nlu.card_source``) and the action server's cards
(``knowledge.store.current_cards``) watch the same tokens.
"""

from sqlalchemy import text

CARDS = text("SELECT COUNT(*), COALESCE(SUM(version), 0), MAX(updated_at) FROM cards")
CATALOG = text("SELECT COUNT(*), COALESCE(SUM(version), 0), MAX(updated_at) FROM catalog_entries")
QUESTIONS = text("SELECT COUNT(*), MAX(id) FROM catalog_questions")
EVERYDAY = text("SELECT COUNT(*), MAX(id) FROM everyday_questions")
