/* ======================================================================
   @store  implementation of the shared store helpers
   ====================================================================== */
DYNSESS_DEF void dynsess_store_close(dynsess_store *st) {
    if (st && st->vt && st->vt->close) st->vt->close(st);
}
