/* conformance.h — shared declarations of the ONNX backend conformance runner:
 * case.c runs one case in-process, main.c finds the cases and runs each in a
 * forked child with a time limit. */
#ifndef KILN_CONFORMANCE_H
#define KILN_CONFORMANCE_H

#define CONF_MSG_LEN 600

/* Compiles DIR/model.onnx (frontend, passes in mode AUTO, cg_jit at opt_level)
 * and checks every DIR/test_data_set_N. 0 when all pass; else -1 with a
 * one-line reason in msg (CONF_MSG_LEN bytes). On success msg may hold a
 * note (the statistical Dropout check) or be empty. */
int conf_run_case(const char *dir, const char *suite, const char *name, int opt_level, char *msg);
/* 1 for the random training-Dropout cases checked statistically. */
int conf_is_statistical(const char *suite, const char *name);

#endif
