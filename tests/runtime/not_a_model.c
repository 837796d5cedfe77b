/* not_a_model.c — a shared library without the kiln ABI symbols, used to
 * check that kiln_model_load rejects it with a clear message. */
int not_a_model_answer(void);
int not_a_model_answer(void)
{
	return 42;
}
