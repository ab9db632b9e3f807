/* ul://OWNER/datasets/NAME: a dataset on the Ultralytics Platform.
 *
 * The export endpoint, GET {API}/datasets/OWNER/NAME/export with the API key
 * as a Bearer token, answers with a redirect to a signed download of the
 * dataset as NDJSON: a first line describing it (task, class_names,
 * kpt_shape), then one line per image (split, file, url, annotations). That
 * becomes the usual layout, images downloaded a few at a time, under
 * $UL_HOME/datasets/OWNER-NAME-HASH:
 *   images/SPLIT/FILE, labels/SPLIT/STEM.txt, data.yaml   (classify: SPLIT/CLASS/FILE)
 * A missing val split takes every tenth train image.
 *
 * {API} is $UL_PLATFORM_API_URL, else $PLATFORM_API_URL, else
 * {PLATFORM}/api/webhooks with {PLATFORM} from $UL_PLATFORM_URL or
 * $ULTRALYTICS_PLATFORM_URL (default https://platform.ultralytics.com). The
 * key comes from $UL_API_KEY or $ULTRALYTICS_API_KEY and nowhere else. */
#ifndef UL_DATA_PLATFORM_H
#define UL_DATA_PLATFORM_H

#include <jv.h>

/* The local dataset folder (a jv string), or an invalid jv with *err set. */
jv ul_platform_fetch(const char *uri, jv *err);

#endif
