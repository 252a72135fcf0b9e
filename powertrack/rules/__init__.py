"""The rule language: grammar, typed AST, validation and the reference evaluator."""
