"""Writing the reference vectors: a safetensors file of named arrays, one dtype per file, with JSON metadata."""
import json
import os
import struct

import numpy as np

DTYPES = {"F32": "<f4", "U8": np.uint8}


def write_safetensors(path, tensors, metadata, dtype="F32"):
    """tensors: (name, array) pairs, laid out in that order as dtype; written aside, then renamed."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, array in tensors:
        data = np.ascontiguousarray(array, dtype=DTYPES[dtype]).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    os.replace(path + ".tmp", path)
