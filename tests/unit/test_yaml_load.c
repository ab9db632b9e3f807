/* YAML to JSON: typing, structure, anchors, and errors with positions. */
#include "core/yaml_load.h"
#include "tap.h"

/* Compact JSON of a document, or "ERROR: message". Caller frees. */
static char *load(const char *text)
{
	jv doc = ul_yaml_load_string(text, strlen(text), "t.yaml");
	jv out;
	if (jv_is_valid(doc)) {
		out = jv_dump_string(doc, 0);
	} else {
		jv msg = jv_invalid_get_msg(doc);
		out = jv_string_fmt("ERROR: %s", jv_string_value(msg));
		jv_free(msg);
	}
	char *s = strdup(jv_string_value(out));
	jv_free(out);
	return s;
}

static void loads(const char *text, const char *want, const char *name)
{
	char *got = load(text);
	is_str(got, want, "%s", name);
	free(got);
}

static void fails(const char *text, const char *want_part, const char *name)
{
	char *got = load(text);
	contains(got, want_part, "%s", name);
	free(got);
}

int main(void)
{
	/* the shape of an Ultralytics dataset YAML */
	loads("path: ../datasets/coco8\ntrain: images/train\nval: images/val\ntest:\n"
	      "names:\n  0: person\n  1: bicycle\n",
	      "{\"path\":\"../datasets/coco8\",\"train\":\"images/train\",\"val\":\"images/val\","
	      "\"test\":null,\"names\":{\"0\":\"person\",\"1\":\"bicycle\"}}",
	      "dataset YAML: int keys become strings, empty value is null");
	loads("kpt_shape: [17, 3]\nflip_idx: [0, 2, 1]\n", "{\"kpt_shape\":[17,3],\"flip_idx\":[0,2,1]}",
	      "flow sequences of numbers");
	loads("names: [cat, dog]\n", "{\"names\":[\"cat\",\"dog\"]}", "names as a list");
	loads("lr0: 0.01\nlrf: 1e-2\nepochs: 100\namp: true\nrect: no\noptimizer: auto\n",
	      "{\"lr0\":0.01,\"lrf\":0.01,\"epochs\":100,\"amp\":true,\"rect\":false,\"optimizer\":\"auto\"}",
	      "training arguments are typed");
	loads("a: '640'\nb: \"true\"\nc: !!str 1\nd: !!float 3\ne: !!int '7'\n",
	      "{\"a\":\"640\",\"b\":\"true\",\"c\":\"1\",\"d\":3,\"e\":7}", "quotes and tags decide the type");
	loads("- a\n- - b\n  - c\n- {x: 1}\n", "[\"a\",[\"b\",\"c\"],{\"x\":1}]", "nested sequences and maps");
	loads("base: &b {lr0: 0.1}\nrun: *b\n", "{\"base\":{\"lr0\":0.1},\"run\":{\"lr0\":0.1}}", "anchors and aliases");
	loads("base: &b {lr0: 0.1, epochs: 3}\nrun:\n  <<: *b\n  epochs: 9\n",
	      "{\"base\":{\"lr0\":0.1,\"epochs\":3},\"run\":{\"epochs\":9,\"lr0\":0.1}}",
	      "a << merge key fills in what the map does not set");
	loads("a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc:\n  <<: [*a, *b]\n",
	      "{\"a\":{\"x\":1},\"b\":{\"x\":2,\"y\":2},\"c\":{\"x\":1,\"y\":2}}",
	      "merging a list of maps: the first one wins");
	loads("a: {'<<': 1}\n", "{\"a\":{\"<<\":1}}", "a quoted << is an ordinary key");
	fails("a:\n  <<: 3\n", "t.yaml:2:3: '<<' merges a map", "merging a number is refused");
	loads("text: |\n  two\n  lines\n", "{\"text\":\"two\\nlines\\n\"}", "block scalars are strings");
	loads("# only a comment\n", "null", "an empty document is null");
	loads("", "null", "an empty file is null");
	loads("---\nepochs: 3\n...\n", "{\"epochs\":3}", "explicit document markers");
	loads("name: caf\xc3\xa9\n", "{\"name\":\"caf\xc3\xa9\"}", "UTF-8 text");

	/* errors name the file, line and column */
	fails("epochs: 3\n\tbatch: 16\n", "t.yaml:2:1:", "a tab indent names line 2, column 1");
	fails("epochs: 3\n\tbatch: 16\n", "tab", "a tab indent says tab");
	fails("name: 'unclosed\nepochs: 3\n", "t.yaml:", "an unclosed quote names the file");
	fails("name: 'unclosed\nepochs: 3\n", "line 1, column 7", "an unclosed quote points at where it opened");
	fails("epochs: 3\nepochs: 4\n", "t.yaml:2:1: duplicate key 'epochs'", "duplicate keys are refused");
	fails("a: 1\n---\nb: 2\n", "more than one YAML document", "several documents are refused");
	fails("a: !!python/tuple [1, 2]\n", "unsupported tag", "unknown tags are refused");
	fails("a: !!int 1.5\n", "is not a valid", "a tag that does not fit its value");
	fails("a: *nowhere\n", "t.yaml:1:4:", "an unknown alias");
	fails("? [a, b]\n: c\n", "mapping key", "a list as a key");
	fails("a: [1, 2\n", "t.yaml:", "an unclosed flow sequence");
	fails("a: b: c\n", "t.yaml:1:", "mapping values where none are allowed");

	/* nesting is bounded: 300 levels of [ is refused, not a stack overflow */
	char deep[700];
	memset(deep, '[', 300);
	memset(deep + 300, ']', 300);
	deep[600] = '\0';
	fails(deep, "nested deeper than", "deep nesting is refused");

	/* files */
	char path[] = "/tmp/ul-yaml-XXXXXX";
	int fd = mkstemp(path);
	const char *text = "imgsz: 640\n";
	ok(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text), "wrote a temp YAML file");
	close(fd);
	jv doc = ul_yaml_load_file(path);
	jv imgsz = jv_object_get(doc, jv_string("imgsz"));
	is_int(jv_number_value(imgsz), 640, "a file loads");
	jv_free(imgsz);
	unlink(path);
	jv missing = ul_yaml_load_file(path);
	jv msg = jv_invalid_get_msg(missing);
	contains(jv_string_value(msg), "No such file", "a missing file is an error with the reason");
	jv_free(msg);
	jv dir = ul_yaml_load_file("/tmp");
	msg = jv_invalid_get_msg(dir);
	contains(jv_string_value(msg), "not a regular file", "a directory is refused");
	jv_free(msg);

	return done_testing();
}
