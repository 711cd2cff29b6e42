"""Learning workflows on top of the parsers: unlabelled text, in-domain pretraining, distillation."""
