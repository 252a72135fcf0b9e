"""The predicate index: match a tweet against many rules at once."""
