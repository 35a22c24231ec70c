"""How a label is scored: imprinting (MWI), thresholds, scoring, and the choice of method
among the heads."""
