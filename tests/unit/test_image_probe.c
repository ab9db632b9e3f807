/* Image headers: format and size without decoding, and what is corrupt. */
#include <fcntl.h>

#include "data/image_probe.h"
#include "datasets.h"
#include "scratch_files.h"
#include "tap.h"

int main(void)
{
	ok(scratch_begin() != NULL, "temp dir");
	ok(ul_image_extension("a/b.JPG") && ul_image_extension("x.webp") && ul_image_extension("m.mpo"),
	   "image extensions, any case");
	ok(!ul_image_extension("a.txt") && !ul_image_extension("jpg") && !ul_image_extension("a.jpg.bak"),
	   "other names are not images");

	/* the real datasets: JPEG and PNG of known sizes */
	struct ul_image_info info;
	char path[4096];
	ok(ul_image_probe(dataset_path(path, sizeof path, "coco8/images/train/000000000009.jpg"), &info), "a coco8 JPEG is fine");
	ok(info.format == UL_IMAGE_JPEG && info.width == 640 && info.height == 480, "640x480 (%dx%d)", info.width, info.height);
	ok(!info.jpeg_truncated, "and complete");
	ok(ul_image_probe(dataset_path(path, sizeof path, "mnist160/train/0/1179.png"), &info), "an mnist160 PNG is fine");
	ok(info.format == UL_IMAGE_PNG && info.width == 28 && info.height == 28, "28x28 (%dx%d)", info.width, info.height);

	/* hand-made headers */
	unsigned char png[33] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
				  0, 0, 1, 0, 0, 0, 0, 200 };
	ok(ul_image_probe(write_file("a.png", png, sizeof png), &info) && info.width == 256 && info.height == 200,
	   "PNG size from IHDR (%dx%d)", info.width, info.height);
	unsigned char bmp[54] = { 'B', 'M' };
	bmp[14] = 40;
	bmp[18] = 64;                                         /* width 64 */
	bmp[22] = 0xE0, bmp[23] = 0xFF, bmp[24] = 0xFF, bmp[25] = 0xFF; /* height -32: top-down */
	ok(ul_image_probe(write_file("a.bmp", bmp, sizeof bmp), &info) && info.width == 64 && info.height == 32,
	   "BMP size, top-down rows (%dx%d)", info.width, info.height);
	unsigned char webp[30] = { 'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'X' };
	webp[24] = 99, webp[27] = 49;                          /* 100 x 50 */
	ok(ul_image_probe(write_file("a.webp", webp, sizeof webp), &info) && info.width == 100 && info.height == 50,
	   "WebP VP8X size (%dx%d)", info.width, info.height);

	/* corrupt */
	ok(!ul_image_probe(write_file("empty.jpg", "", 0), &info) && strstr(info.problem, "empty"), "an empty file: %s", info.problem);
	ok(!ul_image_probe(write_file("text.jpg", "hello world!", 12), &info) && strstr(info.problem, "not a JPEG"),
	   "text named .jpg: %s", info.problem);
	unsigned char cut[] = { 0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F' };
	ok(!ul_image_probe(write_file("cut.jpg", cut, sizeof cut), &info), "a JPEG cut inside its first segment: %s", info.problem);
	unsigned char nosof[] = { 0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xD9 };
	ok(!ul_image_probe(write_file("nosof.jpg", nosof, sizeof nosof), &info) && strstr(info.problem, "no frame"),
	   "a JPEG without a frame header: %s", info.problem);
	unsigned char tiny[] = { 0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 8, 0, 5, 0, 5, 1, 1, 0x11, 0, 0xFF, 0xD9 };
	ok(!ul_image_probe(write_file("tiny.jpg", tiny, sizeof tiny), &info) && strstr(info.problem, "under 10"),
	   "a 5x5 image is refused: %s", info.problem);
	unsigned char open_end[] = { 0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 8, 0, 50, 0, 60, 1, 1, 0x11, 0, 0x12, 0x34 };
	ok(ul_image_probe(write_file("open.jpg", open_end, sizeof open_end), &info) && info.jpeg_truncated &&
	   info.width == 60 && info.height == 50, "a JPEG without its end marker is usable, and flagged");
	png[12] = 'X';
	ok(!ul_image_probe(write_file("bad.png", png, sizeof png), &info) && strstr(info.problem, "IHDR"),
	   "a PNG without IHDR: %s", info.problem);
	ok(!ul_image_probe("/nonexistent/x.jpg", &info) && strstr(info.problem, "cannot open"), "a missing file: %s", info.problem);

	scratch_end();
	return done_testing();
}
