"""Review: street-office material review, then district joint review (policy §三, §五)."""
