"""Self-learning from the interaction log: defects and their evidence (``signals``), rephrase detection
(``rephrase``), rewrites mined from an absorbing Markov chain of reformulations (``mining``), new training
data and a retrained parser (``retrain``), and a user simulator to measure all of it (``simulate``).

After Ponnusamy et al., "Feedback-Based Self-Learning in Large-Scale Conversational AI Agents"
(AAAI/IAAI 2020).
"""

from kiloglot.learn.selflearn.mining import MinedRewrite, MiningSettings, mine_rewrites
from kiloglot.learn.selflearn.rephrase import RephraseDetector, default_detector
from kiloglot.learn.selflearn.signals import LoggedTurn, TurnOutcome, label_turns

__all__ = [
    "LoggedTurn",
    "MinedRewrite",
    "MiningSettings",
    "RephraseDetector",
    "TurnOutcome",
    "default_detector",
    "label_turns",
    "mine_rewrites",
]
