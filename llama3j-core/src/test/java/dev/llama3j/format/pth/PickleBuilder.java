package dev.llama3j.format.pth;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Writes pickle opcodes by hand, the way torch.save lays out a state dict, so tests can bend every part. */
final class PickleBuilder {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    PickleBuilder op(int... bytes) {
        for (int b : bytes) {
            out.write(b);
        }
        return this;
    }

    PickleBuilder u32(long v) {
        return op((int) v & 0xff, (int) (v >> 8) & 0xff, (int) (v >> 16) & 0xff, (int) (v >> 24) & 0xff);
    }

    PickleBuilder proto() {
        return op(0x80, 2);
    }

    PickleBuilder str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        op('X').u32(b.length);
        out.writeBytes(b);
        return this;
    }

    PickleBuilder integer(long v) {
        if (v >= 0 && v < 256) {
            return op('K', (int) v);
        }
        if (v >= 0 && v < 65536) {
            return op('M', (int) v & 0xff, (int) v >> 8);
        }
        if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            return op('J').u32(v);
        }
        op(0x8a, 8);
        for (int i = 0; i < 8; i++) {
            out.write((int) (v >> (8 * i)) & 0xff);
        }
        return this;
    }

    PickleBuilder global(String module, String name) {
        op('c');
        out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
        return this;
    }

    PickleBuilder intTuple(long... values) {
        op('(');
        for (long v : values) {
            integer(v);
        }
        return op('t');
    }

    /** {@code _rebuild_tensor_v2(persistent storage, offset, size, stride, False, OrderedDict())}. */
    PickleBuilder tensor(String storageType, String key, long numel, long offset, long[] size, long[] stride) {
        global("torch._utils", "_rebuild_tensor_v2");
        op('(');
        op('(').str("storage").global("torch", storageType).str(key).str("cpu").integer(numel).op('t');
        op('Q');
        integer(offset).intTuple(size).intTuple(stride).op(0x89);
        global("collections", "OrderedDict").op(')', 'R');
        return op('t', 'R');
    }

    /** A contiguous bf16 tensor. */
    PickleBuilder bf16(String key, long numel, long offset, long... size) {
        return tensor("BFloat16Storage", key, numel, offset, size, contiguousStrides(size));
    }

    static long[] contiguousStrides(long... size) {
        long[] stride = new long[size.length];
        long s = 1;
        for (int i = size.length - 1; i >= 0; i--) {
            stride[i] = s;
            s *= size[i];
        }
        return stride;
    }

    byte[] bytes() {
        return out.toByteArray();
    }
}
