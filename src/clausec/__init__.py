"""clausec: compile .clause contracts and run them as executable guardrails."""
