package org.sonarllm.onnx.weights;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.sonarllm.ModelFormatException;

/**
 * A restricted reader of Python pickles (binary protocols 2-5 as {@code torch.save} writes them).
 * It builds plain values ({@link Py}), torch storages (through the persistent-id callback) and
 * tensor views; every other global stays an inert name and everything derived from it is
 * {@link Py.Opaque}. No code is looked up or run. Text-protocol opcodes, extension codes and
 * out-of-band buffers are rejected. Stack, mark, memo and object counts are bounded; every length
 * is checked against the remaining input before anything is allocated; values are never traversed
 * recursively. Not thread-safe; one instance reads one pickle.
 */
final class Unpickler {
    /** Most values on the stack (marks included). */
    static final int MAX_STACK = 1 << 20;
    /** Most memo entries. */
    static final int MAX_MEMO = 1 << 22;
    /** Most values created (containers, strings, numbers). */
    static final long MAX_OBJECTS = 1L << 23;
    /** Longest integer accepted by LONG1/LONG4, in bytes. */
    static final int MAX_LONG_BYTES = 1024;
    /** Longest module or name line of GLOBAL. */
    static final int MAX_GLOBAL_LINE = 1024;

    private final byte[] data;
    private final String where;
    private final Function<Object, Object> persistentLoad;
    private final ArrayList<Object> stack = new ArrayList<>();
    private int[] marks = new int[16];
    private int markCount;
    private final Map<Long, Object> memo = new HashMap<>();
    private long objects;
    private int pos;
    private int opAt;

    /**
     * @param data the pickle
     * @param where the file and entry, for messages
     * @param persistentLoad maps a persistent id (BINPERSID) to a value; may throw ModelFormatException
     */
    Unpickler(byte[] data, String where, Function<Object, Object> persistentLoad) {
        this.data = data;
        this.where = where;
        this.persistentLoad = persistentLoad;
    }

    /** @return the pickled value */
    Object load() {
        while (true) {
            if (pos >= data.length) {
                throw err("expected STOP, found the end of the pickle (truncated)");
            }
            opAt = pos;
            int op = data[pos++] & 0xff;
            switch (op) {
                case 0x80 -> { // PROTO
                    int v = u8();
                    if (v < 2 || v > 5) {
                        throw err("expected pickle protocol 2 to 5, found " + v);
                    }
                }
                case 0x95 -> { // FRAME: framing carries no meaning for an in-memory reader
                    long n = u64();
                    if (n > data.length - pos) {
                        throw err("expected a frame of at most " + (data.length - pos) + " bytes, found " + n);
                    }
                }
                case '.' -> { // STOP
                    if (markCount != 0 || stack.size() != 1) {
                        throw err("expected one value and no open MARK at STOP, found " + stack.size() + " values and "
                                + markCount + " marks");
                    }
                    if (pos != data.length) {
                        throw err("expected the end of the pickle after STOP, found " + (data.length - pos) + " more bytes");
                    }
                    return stack.get(0);
                }
                case '(' -> mark();
                case '0' -> { // POP: the top value, or the mark above an empty frame
                    if (stack.size() > base()) {
                        pop();
                    } else {
                        popMark();
                    }
                }
                case '1' -> popMark(); // POP_MARK
                case '2' -> push(peek()); // DUP
                case 'N' -> push(Py.NONE);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'J' -> push(counted((long) i32()));
                case 'K' -> push(counted((long) u8()));
                case 'M' -> push(counted((long) (u8() | (u8() << 8))));
                case 0x8a -> push(counted(integer(u8())));
                case 0x8b -> push(counted(integer(i32())));
                case 'G' -> push(counted(Double.longBitsToDouble(beLong())));
                case 'X' -> push(counted(utf8(u32())));
                case 0x8c -> push(counted(utf8(u8())));
                case 0x8d -> push(counted(utf8(u64())));
                case 'T' -> push(counted(latin1(i32())));
                case 'U' -> push(counted(latin1(u8())));
                case 'B' -> push(counted(new Py.Bytes(bytes(u32()))));
                case 'C' -> push(counted(new Py.Bytes(bytes(u8()))));
                case 0x8e, 0x96 -> push(counted(new Py.Bytes(bytes(u64())))); // BINBYTES8, BYTEARRAY8
                case ')' -> push(counted(new Py.Tuple(List.of())));
                case 0x85 -> push(counted(new Py.Tuple(List.of(pop()))));
                case 0x86 -> {
                    Object b = pop();
                    push(counted(new Py.Tuple(List.of(pop(), b))));
                }
                case 0x87 -> {
                    Object c = pop();
                    Object b = pop();
                    push(counted(new Py.Tuple(List.of(pop(), b, c))));
                }
                case 't' -> push(counted(new Py.Tuple(popMark())));
                case ']' -> push(counted(new Py.PyList()));
                case 'l' -> {
                    Py.PyList l = new Py.PyList();
                    l.items.addAll(popMark());
                    push(counted(l));
                }
                case 'a' -> append(List.of(pop()));
                case 'e' -> append(popMark());
                case '}' -> push(counted(new Py.Dict()));
                case 'd' -> {
                    Py.Dict d = new Py.Dict();
                    setItems(d, popMark());
                    push(counted(d));
                }
                case 's' -> {
                    Object v = pop();
                    Object k = pop();
                    setItems(peek(), List.of(k, v));
                }
                case 'u' -> {
                    List<Object> kv = popMark();
                    setItems(peek(), kv);
                }
                case 0x8f -> push(counted(new Py.PySet())); // EMPTY_SET
                case 0x90 -> addItems(popMark()); // ADDITEMS
                case 0x91 -> { // FROZENSET
                    Py.PySet s = new Py.PySet();
                    s.items.addAll(popMark());
                    push(counted(s));
                }
                case 'c' -> push(TorchGlobals.resolve(line(), line())); // GLOBAL
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw err("expected two strings for STACK_GLOBAL, found " + Py.describe(module) + " and "
                                + Py.describe(name));
                    }
                    push(TorchGlobals.resolve(m, n));
                }
                case 'R' -> { // REDUCE
                    Object args = pop();
                    Object callable = pop();
                    push(counted(TorchGlobals.call(here(), callable, args)));
                }
                case 0x81 -> { // NEWOBJ
                    pop();
                    push(counted(TorchGlobals.newObject(pop())));
                }
                case 0x92 -> { // NEWOBJ_EX
                    pop();
                    pop();
                    push(counted(TorchGlobals.newObject(pop())));
                }
                case 'b' -> { // BUILD: state is never applied (an opaque value stays opaque)
                    pop();
                    peek();
                }
                case 'Q' -> push(persistentLoad.apply(pop())); // BINPERSID
                case 'q' -> memoize(u8());
                case 'r' -> memoize(u32());
                case 0x94 -> memoize(memo.size()); // MEMOIZE
                case 'h' -> push(memoGet(u8()));
                case 'j' -> push(memoGet(u32()));
                default -> throw err("expected a pickle opcode of protocols 2-5 (no text opcodes, extensions or"
                        + " out-of-band buffers), found 0x" + Integer.toHexString(op)
                        + (op >= 0x20 && op < 0x7f ? " ('" + (char) op + "')" : ""));
            }
        }
    }

    private String here() {
        return where + " (pickle byte " + opAt + ")";
    }

    private ModelFormatException err(String message) {
        return new ModelFormatException(here() + ": " + message);
    }

    private Object counted(Object o) {
        if (++objects > MAX_OBJECTS) {
            throw err("expected at most " + MAX_OBJECTS + " pickled values, found more");
        }
        return o;
    }

    private int base() {
        return markCount == 0 ? 0 : marks[markCount - 1];
    }

    private void push(Object o) {
        if (stack.size() + markCount >= MAX_STACK) {
            throw err("expected at most " + MAX_STACK + " values on the pickle stack, found more");
        }
        stack.add(o);
    }

    private Object pop() {
        if (stack.size() <= base()) {
            throw err("expected a value on the pickle stack, found " + (markCount == 0 ? "none" : "a MARK"));
        }
        return stack.remove(stack.size() - 1);
    }

    private Object peek() {
        if (stack.size() <= base()) {
            throw err("expected a value on the pickle stack, found " + (markCount == 0 ? "none" : "a MARK"));
        }
        return stack.get(stack.size() - 1);
    }

    private void mark() {
        if (stack.size() + markCount >= MAX_STACK) {
            throw err("expected at most " + MAX_STACK + " values on the pickle stack, found more");
        }
        if (markCount == marks.length) {
            marks = Arrays.copyOf(marks, marks.length * 2);
        }
        marks[markCount++] = stack.size();
    }

    private List<Object> popMark() {
        if (markCount == 0) {
            throw err("expected a MARK on the pickle stack, found none");
        }
        int from = marks[--markCount];
        List<Object> tail = stack.subList(from, stack.size());
        List<Object> items = new ArrayList<>(tail);
        tail.clear();
        return items;
    }

    private void append(List<Object> items) {
        Object target = peek();
        if (target instanceof Py.PyList l) {
            l.items.addAll(items);
        } else if (!(target instanceof Py.Opaque)) {
            throw err("expected a list to append to, found " + Py.describe(target));
        }
    }

    private void addItems(List<Object> items) {
        Object target = peek();
        if (target instanceof Py.PySet s) {
            s.items.addAll(items);
        } else if (!(target instanceof Py.Opaque)) {
            throw err("expected a set to add to, found " + Py.describe(target));
        }
    }

    private void setItems(Object target, List<Object> kv) {
        if (kv.size() % 2 != 0) {
            throw err("expected key/value pairs, found " + kv.size() + " values");
        }
        if (target instanceof Py.Dict d) {
            for (int i = 0; i < kv.size(); i += 2) {
                d.put(kv.get(i), kv.get(i + 1));
            }
        } else if (!(target instanceof Py.Opaque)) {
            throw err("expected a dict to set items in, found " + Py.describe(target));
        }
    }

    private void memoize(long index) {
        Object top = peek();
        if (memo.size() >= MAX_MEMO && !memo.containsKey(index)) {
            throw err("expected at most " + MAX_MEMO + " memo entries, found more");
        }
        memo.put(index, top);
    }

    private Object memoGet(long index) {
        Object o = memo.get(index);
        if (o == null) {
            throw err("expected memo entry " + index + ", found none");
        }
        return o;
    }

    private void need(long n) {
        if (n < 0 || n > data.length - pos) {
            throw err("expected " + n + " more bytes, found " + (data.length - pos) + " (truncated or corrupt)");
        }
    }

    private int u8() {
        need(1);
        return data[pos++] & 0xff;
    }

    private int i32() {
        need(4);
        int v = (data[pos] & 0xff) | (data[pos + 1] & 0xff) << 8 | (data[pos + 2] & 0xff) << 16 | data[pos + 3] << 24;
        pos += 4;
        return v;
    }

    private long u32() {
        return i32() & 0xffffffffL;
    }

    private long u64() {
        need(8);
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (data[pos + i] & 0xff);
        }
        pos += 8;
        if (v < 0) {
            throw err("expected a length below 2^63, found " + Long.toUnsignedString(v));
        }
        return v;
    }

    private long beLong() {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (data[pos + i] & 0xff);
        }
        pos += 8;
        return v;
    }

    private byte[] bytes(long n) {
        need(n);
        byte[] b = Arrays.copyOfRange(data, pos, pos + (int) n);
        pos += (int) n;
        return b;
    }

    private String utf8(long n) {
        need(n);
        String s = new String(data, pos, (int) n, StandardCharsets.UTF_8);
        pos += (int) n;
        return s;
    }

    private String latin1(long n) {
        need(n);
        String s = new String(data, pos, (int) n, StandardCharsets.ISO_8859_1);
        pos += (int) n;
        return s;
    }

    private Object integer(long n) {
        if (n < 0 || n > MAX_LONG_BYTES) {
            throw err("expected an integer of 0 to " + MAX_LONG_BYTES + " bytes, found " + n);
        }
        byte[] le = bytes(n);
        if (n == 0) {
            return 0L;
        }
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) {
            be[i] = le[le.length - 1 - i];
        }
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private String line() {
        int start = pos;
        int limit = Math.min(data.length, pos + MAX_GLOBAL_LINE);
        while (pos < limit && data[pos] != '\n') {
            pos++;
        }
        if (pos >= limit) {
            throw err("expected a newline-terminated GLOBAL name of at most " + MAX_GLOBAL_LINE + " bytes, found none");
        }
        String s = new String(data, start, pos - start, StandardCharsets.UTF_8);
        pos++;
        return s;
    }
}
