# Extra test builds: the same tests/test_*.c compiled another way. Each variant's
# binary is $(BUILD)/extra/<test>_<variant>, run by tests/run.sh as extra/<test>_<variant>.
#   $(call dynsess_variant,TEST,VARIANT,COMPILER AND FLAGS,LIBS)
define dynsess_variant
EXTRA_TESTS += $(BUILD)/extra/$(1)_$(2)
$(BUILD)/extra/$(1)_$(2): tests/$(1).c dynsess.h tests/tt.h
	@mkdir -p $$(dir $$@)
	$(3) $(STD) $(WARN) -I. -Itests $$< -o $$@ $(4) $(LDLIBS)
endef
VARIANT_TSAN := $(CLANG) -O1 -g -fsanitize=thread
VARIANT_OPT  := $(CC) $(CFLAGS)

# ThreadSanitizer: the memory store (thread hammer included), one ctx shared by several
# threads, the DynamoDB store (thread_safe, 4 threads on a scripted transport).
$(eval $(call dynsess_variant,test_memory,tsan,$(VARIANT_TSAN)))
$(eval $(call dynsess_variant,test_session_threads,tsan,$(VARIANT_TSAN)))
$(eval $(call dynsess_variant,test_dynamodb,tsan,$(VARIANT_TSAN)))

# @crypto backends: BearSSL (SHA-256, HMAC, ChaCha20, the AEAD's Poly1305 from libbearssl)
# and DYNSESS_CRYPTO_PORTABLE (no SHA-NI/SSE2/AVX2 code at all); both compared against the
# portable reference on vectors and random inputs. The SigV4 suites run on both too.
$(foreach t,test_crypto test_crypto_vectors test_cookie_store test_sigv4,\
  $(eval $(call dynsess_variant,$(t),bearssl,$(VARIANT_OPT) -DDYNSESS_USE_BEARSSL,-lbearssl)))
$(foreach t,test_crypto test_crypto_vectors test_cookie_store,\
  $(eval $(call dynsess_variant,$(t),portable,$(VARIANT_OPT) -DDYNSESS_CRYPTO_PORTABLE)))

# @sigv4: the portable (table) hex encoder, as big-endian builds use it.
$(eval $(call dynsess_variant,test_sigv4,portable,$(VARIANT_OPT) -DDYNSESS__SIGV4_PORTABLE))

# @json string scanners: the byte loop (big-endian / non-GNU builds) and the 8-byte SWAR
# scan (little-endian GCC/clang without SSE2, e.g. ARM) instead of the SSE2 one.
$(eval $(call dynsess_variant,test_json,portable,$(VARIANT_OPT) -DDYNSESS__JSON_PORTABLE))
$(eval $(call dynsess_variant,test_json,swar,$(VARIANT_OPT) -DDYNSESS__JSON_SWAR))
