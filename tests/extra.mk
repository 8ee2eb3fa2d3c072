# Extra test builds, one block per section. Each adds its binary to EXTRA_TESTS
# (run by tests/run.sh as extra/NAME) and gives a rule.
