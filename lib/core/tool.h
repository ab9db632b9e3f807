/* The start and end every tool shares.
 *
 *   int main(int argc, char **argv)
 *   {
 *       ul_tool_start(argv[0]);
 *       ... parse arguments, read records, do the work ...
 *       return ul_tool_exit(rc);
 *   }
 */
#ifndef UL_CORE_TOOL_H
#define UL_CORE_TOOL_H

/* Names the program, guards descriptors 0-2 and installs the signal
 * handlers. */
void ul_tool_start(const char *argv0);

/* Closes stdout (reporting a failed write or close) and turns rc into the
 * exit status: 128+N after signal N, 1 if output could not be written, 3 if
 * downstream closed while the work had not failed, else rc. */
int ul_tool_exit(int rc);

#endif
