#include "data/fetch.h"

#include "core/error.h"
#include "core/writer.h"
#include "data/dataset_spec.h"
#include "data/scan.h"

jv ul_fetch_dataset(const char *data, const struct ul_source_options *options, jv *err)
{
	jv local = ul_source_resolve(data, options, err);
	if (!jv_is_valid(local))
		return local;
	jv spec = ul_dataset_spec_load(jv_string_value(local));
	jv_free(local);
	if (!jv_is_valid(spec)) {
		jv why = jv_invalid_get_msg(spec);
		*err = ul_error_record("dataset", jv_string_value(why), NULL);
		jv_free(why);
		return jv_invalid();
	}
	spec = ul_source_complete(spec, options, err);
	if (!jv_is_valid(spec))
		return spec;
	struct ul_scan_options scan = { .task = options->task };
	jv body = ul_dataset_scan(spec, &scan);
	if (!jv_is_valid(body)) {
		jv why = jv_invalid_get_msg(body);
		*err = ul_error_record("stopped", jv_string_value(why), NULL);
		jv_free(why);
		return jv_invalid();
	}
	jv record = ul_record("dataset");
	record = jv_object_set(record, jv_string("uri"), jv_string(data));
	jv_object_foreach(body, key, value)
		record = jv_object_set(record, key, value);
	jv_free(body);
	return record;
}
