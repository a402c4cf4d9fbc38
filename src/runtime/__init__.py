"""The clausec runtime: evaluate compiled contracts against facts."""
