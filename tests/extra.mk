# Extra test builds, one block per section. Each adds its binary to EXTRA_TESTS
# (run by tests/run.sh as extra/NAME) and gives a rule.

# @store >memory : the memory-store tests, thread hammer included,
# under ThreadSanitizer.
EXTRA_TESTS += $(BUILD)/extra/test_memory_tsan
$(BUILD)/extra/test_memory_tsan: tests/test_memory.c dynsess.h tests/tt.h
	@mkdir -p $(dir $@)
	$(CLANG) $(STD) -O1 -g -fsanitize=thread $(WARN) -I. -Itests $< -o $@ $(LDLIBS)

# @crypto : the crypto and cookie-store tests again with the BearSSL
# backend (SHA-256, HMAC, ChaCha20, the AEAD's Poly1305 from libbearssl) and with
# DYNSESS_CRYPTO_PORTABLE (no SHA-NI / SSE2 / AVX2 code compiled at all). Both compare
# against the portable reference code on vectors and random inputs.
DYNSESS__CRYPTO_EXTRA := test_crypto test_crypto_vectors test_cookie_store
EXTRA_TESTS += $(addprefix $(BUILD)/extra/,$(addsuffix _bearssl,$(DYNSESS__CRYPTO_EXTRA)))
EXTRA_TESTS += $(addprefix $(BUILD)/extra/,$(addsuffix _portable,$(DYNSESS__CRYPTO_EXTRA)))
$(BUILD)/extra/test_crypto_bearssl $(BUILD)/extra/test_crypto_vectors_bearssl $(BUILD)/extra/test_cookie_store_bearssl: $(BUILD)/extra/%_bearssl: tests/%.c dynsess.h tests/tt.h
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(CFLAGS) $(WARN) -DDYNSESS_USE_BEARSSL -I. -Itests $< -o $@ -lbearssl $(LDLIBS)
$(BUILD)/extra/test_crypto_portable $(BUILD)/extra/test_crypto_vectors_portable $(BUILD)/extra/test_cookie_store_portable: $(BUILD)/extra/%_portable: tests/%.c dynsess.h tests/tt.h
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(CFLAGS) $(WARN) -DDYNSESS_CRYPTO_PORTABLE -I. -Itests $< -o $@ $(LDLIBS)

# @store >dynamodb : the DynamoDB client/store unit tests (scripted
# transport, the thread_safe store hammered by 4 threads) under ThreadSanitizer.
EXTRA_TESTS += $(BUILD)/extra/test_dynamodb_tsan
$(BUILD)/extra/test_dynamodb_tsan: tests/test_dynamodb.c dynsess.h tests/tt.h
	@mkdir -p $(dir $@)
	$(CLANG) $(STD) -O1 -g -fsanitize=thread $(WARN) -I. -Itests $< -o $@ $(LDLIBS)

# @session : one ctx shared by several threads, under ThreadSanitizer.
EXTRA_TESTS += $(BUILD)/extra/test_session_threads_tsan
$(BUILD)/extra/test_session_threads_tsan: tests/test_session_threads.c dynsess.h tests/tt.h
	@mkdir -p $(dir $@)
	$(CLANG) $(STD) -O1 -g -fsanitize=thread $(WARN) -I. -Itests $< -o $@ $(LDLIBS)

# @json : the unit tests once more with the portable string scanner
# (no count-trailing-zeros fast path), so the path big-endian/non-GNU builds take is tested.
EXTRA_TESTS += $(BUILD)/extra/test_json_portable
$(BUILD)/extra/test_json_portable: tests/test_json.c dynsess.h tests/tt.h
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(CFLAGS) $(WARN) -DDYNSESS__JSON_PORTABLE -I. -Itests $< -o $@ $(LDLIBS)
# ... and with the 8-byte SWAR string scan that little-endian GCC/clang builds without
# SSE2 (e.g. ARM) take instead of the 16-byte SSE2 one (helper "jsonperf").
EXTRA_TESTS += $(BUILD)/extra/test_json_swar
$(BUILD)/extra/test_json_swar: tests/test_json.c dynsess.h tests/tt.h
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(CFLAGS) $(WARN) -DDYNSESS__JSON_SWAR -I. -Itests $< -o $@ $(LDLIBS)


# @sigv4 : the SigV4 suites again on the BearSSL crypto backend (the signer
# clones the keyed HMAC context through the public API, whatever its layout).
EXTRA_TESTS += $(BUILD)/extra/test_sigv4_bearssl
$(BUILD)/extra/test_sigv4_bearssl: tests/test_sigv4.c dynsess.h tests/tt.h
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(CFLAGS) $(WARN) -DDYNSESS_USE_BEARSSL -I. -Itests $< -o $@ -lbearssl $(LDLIBS)
# @sigv4: and with the portable (table) hex encoder, as big-endian builds use it.
EXTRA_TESTS += $(BUILD)/extra/test_sigv4_portable
$(BUILD)/extra/test_sigv4_portable: tests/test_sigv4.c dynsess.h tests/tt.h
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(CFLAGS) $(WARN) -DDYNSESS__SIGV4_PORTABLE -I. -Itests $< -o $@ $(LDLIBS)
