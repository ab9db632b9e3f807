/* Run folders (lib/train/run_dir) in a real temporary folder: Ultralytics'
 * runs/<task>/<name> with train, train-2, train-3; exist_ok; project
 * relative and absolute; a file in the way; a read-only parent (as
 * nobody when run as root, whom permissions do not stop); and args.yaml
 * written as PyYAML's safe_dump writes it, compared with PyYAML itself
 * when a python3 has it, and read back by our YAML reader. */
#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/yaml_load.h"
#include "scratch_files.h"
#include "run_output.h"
#include "tap.h"
#include "train/run_dir.h"

static char *message(jv err)
{
	jv msg = jv_invalid_get_msg(err);
	char *text = strdup(jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "(no message)");
	jv_free(msg);
	return text;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The folder made for these, relative to the scratch folder ("" on failure). */
static const char *made(struct ul_run_dir *d, const char *project, const char *name, bool exist_ok)
{
	jv err;
	if (ul_run_dir_create(d, "detect", project, name, exist_ok, &err)) {
		char *msg = message(err);
		printf("# %s\n", msg);
		free(msg);
		return "";
	}
	size_t n = strlen(scratch_dir);
	return strncmp(d->path, scratch_dir, n) || d->path[n] != '/' ? d->path : d->path + n + 1;
}

/* The message of a create that must fail, "" if it did not. */
static char *refused(const char *project, const char *name, bool exist_ok)
{
	struct ul_run_dir d;
	jv err;
	return ul_run_dir_create(&d, "detect", project, name, exist_ok, &err) ? message(err) : strdup("");
}

/* A file's text, NUL-ended; the caller frees it. */
static char *text_of(const char *path)
{
	size_t n;
	char *bytes = ul_read_file(path, &n), *text = bytes ? realloc(bytes, n + 1) : NULL;
	if (text)
		text[n] = '\0';
	return text ? text : (free(bytes), strdup(""));
}

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");
	if (f)
		fclose(f);
}

static void folders(void)
{
	struct ul_run_dir d;
	is_str(made(&d, NULL, NULL, false), "runs/detect/train", "the first run: runs/detect/train");
	ok(d.path[0] == '/' && !strcmp(d.name, "train"), "an absolute path, its name train");
	char weights[PATH_MAX + 16];
	snprintf(weights, sizeof weights, "%s/weights", d.path);
	ok(is_dir(weights) && !strcmp(d.weights, weights), "with weights/ made");
	is_str(made(&d, NULL, NULL, false), "runs/detect/train-2", "the second: train-2, as Ultralytics 8.4.39 on");
	is_str(d.name, "train-2", "named so");
	is_str(made(&d, NULL, NULL, false), "runs/detect/train-3", "the third: train-3");
	is_str(made(&d, NULL, NULL, true), "runs/detect/train", "exist_ok reuses train");
	is_str(made(&d, NULL, "exp", false), "runs/detect/exp", "name=exp");
	is_str(made(&d, "me/pets", "exp", false), "runs/detect/me/pets/exp", "a relative project goes under runs/<task>");
	char project[PATH_MAX + 16];
	snprintf(project, sizeof project, "%s/elsewhere", scratch_dir);
	is_str(made(&d, project, NULL, false), "elsewhere/train", "an absolute project is used as it is");

	touch("runs/detect/plain");
	is_str(made(&d, NULL, "plain", false), "runs/detect/plain-2", "a file of that name: the next name");
	touch("runs/detect/note.v1");
	is_str(made(&d, NULL, "note.v1", false), "runs/detect/note-2.v1", "a file's extension stays last");
	mkdir("runs/detect/dir.v1", 0777);
	is_str(made(&d, NULL, "dir.v1", false), "runs/detect/dir.v1-2", "a folder's name has no extension");

	char *msg = refused(NULL, "plain", true);
	contains(msg, "cannot use runs/detect/plain as the run folder: it is a file", "exist_ok on a file: refused, saying why");
	free(msg);
	touch("runs/file");
	msg = refused("../file", NULL, false);
	contains(msg, "Not a directory", "a project through a file: refused");
	free(msg);
}

/* A read-only parent, in a child that is not root. */
static void read_only(void)
{
	char ro[PATH_MAX];
	snprintf(ro, sizeof ro, "%s/ro", scratch_dir);
	mkdir(ro, 0555);
	chmod(scratch_dir, 0755);
	int fd[2];
	if (pipe(fd)) {
		ok(0, "a pipe");
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(fd[0]);
		if (geteuid() == 0 && (setgid(65534) || setuid(65534)))
			_exit(2);
		char *text = refused(ro, NULL, false);
		ssize_t w = write(fd[1], text, strlen(text));
		_exit(w > 0 ? 0 : 1);
	}
	close(fd[1]);
	char text[1024] = "";
	ssize_t got = read(fd[0], text, sizeof text - 1);
	text[got > 0 ? got : 0] = '\0';
	close(fd[0]);
	int status;
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 && strstr(text, "cannot make the run folder") &&
	   strstr(text, "Permission denied"), "a read-only parent: refused (%s)", text);
	chmod(scratch_dir, 0700);
}

/* Floats written with their dot, strings PyYAML quotes, lists, a nested
 * block. JSON text: the same for both sides (Python keeps 3.0 a float). */
static const char *const ARGS =
	"{\"task\":\"detect\",\"mode\":\"train\",\"model\":\"yolo26n.yaml\",\"data\":\"/data/coco8.yaml\",\"epochs\":3,"
	"\"batch\":16,\"name\":null,\"exist_ok\":false,\"device\":\"0,1\",\"lr0\":0.01,\"warmup_epochs\":3.0,"
	"\"weight_decay\":0.0005,\"tiny\":1e-05,\"big\":1e16,\"neg\":-2.5,\"freeze\":[0,1],\"classes\":[],\"cache\":false,"
	"\"time\":null,\"optimizer\":\"auto\",\"note\":\"a: b\",\"quote\":\"it's\",\"word\":\"yes\",\"nul\":\"null\","
	"\"date\":\"2024-01-01\",\"under\":\"1_000\",\"clock\":\"1:30\",\"hash\":\"x #y\",\"nohash\":\"x#y\",\"dash\":\"- x\","
	"\"dashed\":\"-x\",\"empty\":\"\",\"unicode\":\"\\u00fcn\\u00ef\",\"number\":\"640\",\"dot\":\".5\","
	"\"nested\":{\"p\":[[1,2],{\"q\":1,\"r\":2}]}}";

static const char *const SCHEMA =
	"{\"lr0\":{\"type\":\"float\"},\"warmup_epochs\":{\"type\":\"float\"},\"weight_decay\":{\"type\":\"float\"},"
	"\"tiny\":{\"type\":\"float\"},\"big\":{\"type\":\"float\"},\"neg\":{\"type\":\"float\"},"
	"\"time\":{\"type\":\"float\"},\"epochs\":{\"type\":\"int\"}}";

/* PyYAML 6.0's output for ARGS, name and save_dir set (save_dir: %s). */
static const char *const YAML =
	"task: detect\nmode: train\nmodel: yolo26n.yaml\ndata: /data/coco8.yaml\nepochs: 3\nbatch: 16\nname: train\n"
	"exist_ok: false\ndevice: 0,1\nlr0: 0.01\nwarmup_epochs: 3.0\nweight_decay: 0.0005\ntiny: 1.0e-05\nbig: 1.0e+16\n"
	"neg: -2.5\nfreeze:\n- 0\n- 1\nclasses: []\ncache: false\ntime: null\noptimizer: auto\nnote: 'a: b'\nquote: it's\n"
	"word: 'yes'\nnul: 'null'\ndate: '2024-01-01'\nunder: '1_000'\nclock: '1:30'\nhash: 'x #y'\nnohash: x#y\n"
	"dash: '- x'\ndashed: -x\nempty: ''\nunicode: \xc3\xbcn\xc3\xaf\nnumber: '640'\ndot: '.5'\nnested:\n  p:\n  - - 1\n"
	"    - 2\n  - q: 1\n    r: 2\nsave_dir: %s\n";

static const char *const PYTHON =
	"import json, sys, yaml\n"
	"d = json.loads(sys.argv[1])\n"
	"d['name'], d['save_dir'] = sys.argv[2], sys.argv[3]\n"
	"sys.stdout.write(yaml.safe_dump(d, sort_keys=False, allow_unicode=True))\n";

/* python's safe_dump of ARGS; its exit status (127: not there). */
static int pyyaml(const char *python, const struct ul_run_dir *d, char *out, size_t cap)
{
	char *argv[] = { (char *)python, "-c", (char *)PYTHON, (char *)ARGS, (char *)d->name, (char *)d->path, NULL };
	return run_output(argv, out, cap);
}

static void args_yaml(void)
{
	struct ul_run_dir d;
	jv err, args = jv_parse(ARGS), schema = jv_parse(SCHEMA);
	if (ul_run_dir_create(&d, "detect", NULL, NULL, true, &err)) {
		ok(0, "a run folder");
		return;
	}
	ok(ul_run_dir_save_args(&d, args, schema, &err) == 0, "args.yaml written");
	char path[PATH_MAX + 16], want[8192];
	snprintf(path, sizeof path, "%s/args.yaml", d.path);
	char *got = text_of(path);
	snprintf(want, sizeof want, YAML, d.path);
	is_str(got, want, "as PyYAML's safe_dump, in the order given, name and save_dir set");

	static const char *const pythons[] = { "/usr/bin/python3", "python3" };
	bool compared = false;
	for (size_t i = 0; i < sizeof pythons / sizeof pythons[0] && !compared; i++) {
		char out[8192];
		int rc = pyyaml(pythons[i], &d, out, sizeof out);
		if (rc == 0) {
			is_str(got, out, "byte for byte what %s's PyYAML writes", pythons[i]);
			compared = true;
		}
	}
	if (!compared)
		ok(1, "# skip no python3 with PyYAML");

	jv back = ul_yaml_load_file(path);
	jv expect = jv_object_set(jv_object_set(jv_copy(args), jv_string("name"), jv_string("train")),
				  jv_string("save_dir"), jv_string(d.path));
	ok(jv_equal(back, expect), "and our YAML reader reads back the same arguments");
	free(got);
	jv_free(args);
	jv_free(schema);
}

int main(void)
{
	if (!scratch_begin() || chdir(scratch_dir)) {
		ok(0, "a scratch folder");
		return done_testing();
	}
	folders();
	read_only();
	args_yaml();
	scratch_end();
	return done_testing();
}
