/* Command-line arguments: key=value pairs, as with the `yolo` command.
 *
 *   ul-tool epochs=50 imgsz=640 cfg=run.yaml quiet=true
 *
 * cfg=FILE.yaml sets many at once and the command line beats the file; a
 * key given twice keeps the last value. Every tool also takes quiet=BOOL,
 * --help and --version. Unknown keys and values of the wrong type are usage
 * errors with a "did you mean" hint. Values are typed once, at parse time,
 * against a table the tool declares; the getters then cannot fail. */
#ifndef UL_CORE_ARGS_H
#define UL_CORE_ARGS_H

#include <stdbool.h>

#include <jv.h>

enum ul_arg_type { UL_ARG_STRING, UL_ARG_INT, UL_ARG_FLOAT, UL_ARG_BOOL, UL_ARG_LIST };

struct ul_arg {
	const char *name;
	enum ul_arg_type type;
	const char *fallback;  /* the default, written as on the command line; "null" allows null */
};

struct ul_tool {
	const char *name;           /* "ul-estimate" */
	const char *manual;         /* its man page as text (ul_manual); NULL for a test driver */
	const struct ul_arg *args;  /* the tool's own arguments, ended by { NULL } */
	int max_words;              /* bare words allowed (subcommands); usually 0 */
	bool open;                  /* keep keys it does not declare in extra, for a schema to judge */
};

/* A tool's man page, rendered at build time by mk/manual-c into the tool's
 * binary: what --help shows a part of and --manual shows whole. */
extern const char ul_manual[];

struct ul_args {
	const struct ul_tool *tool;
	jv values;  /* name -> typed value, for every argument, defaults filled */
	jv given;   /* name -> where it was set: "command line" or the cfg file */
	jv words;   /* bare words, in order */
	jv extra;   /* open tools: undeclared name -> its text (command line) or value (cfg file) */
};

/* Parses argv into a. Returns -1 when the tool should go on, or the exit
 * status to return at once: UL_EXIT_OK after --help, --manual or --version, or
 * UL_EXIT_USAGE after reporting a bad command line (error record on stdout,
 * message on stderr). a must be freed in every case. */
int ul_args_parse(struct ul_args *a, const struct ul_tool *tool, int argc, char **argv);
void ul_args_free(struct ul_args *a);

/* Typed getters; name must be declared by the tool (or be "quiet"/"cfg"). */
long long ul_arg_int(const struct ul_args *a, const char *name);
double ul_arg_float(const struct ul_args *a, const char *name);
bool ul_arg_bool(const struct ul_args *a, const char *name);
const char *ul_arg_str(const struct ul_args *a, const char *name); /* NULL if null */
jv ul_arg_get(const struct ul_args *a, const char *name);          /* a new reference */

#endif
