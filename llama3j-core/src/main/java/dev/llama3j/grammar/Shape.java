package dev.llama3j.grammar;

import java.util.ArrayList;
import java.util.List;

/**
 * A compiled schema: what one JSON value may be. Shapes compare by identity, so that matcher states holding them
 * compare cheaply; {@link Choice} and {@link Ref} are resolved to the concrete shapes that a value's first byte
 * chooses between.
 */
abstract sealed class Shape {
    /** The concrete shapes (no Choice, no Ref) this shape allows, computed once. */
    abstract Shape[] alternatives();

    /** A shape that is its own only alternative. */
    abstract static sealed class Concrete extends Shape {
        private final Shape[] self = {this};

        @Override
        final Shape[] alternatives() {
            return self;
        }
    }

    /**
     * An object with declared properties emitted in declaration order, each at most once, the optional ones
     * skippable; then, where {@code additional} is not null, further properties with other names (no escapes in
     * those names), once every required one is out.
     */
    static final class ObjectShape extends Concrete {
        final List<Property> properties;
        final Shape additional;
        /** The declared names, JSON-escaped, each followed by its closing quote. */
        final ByteTrie keys;
        /** Index of the last required property, or -1. */
        final int lastRequired;
        /** For each next index, the last index a key may take (the first required one from there). */
        private final int[] windowEnd;

        ObjectShape(List<Property> properties, Shape additional) {
            this.properties = List.copyOf(properties);
            this.additional = additional;
            List<byte[]> names = new ArrayList<>();
            for (Property p : properties) names.add(p.quotedName());
            this.keys = ByteTrie.of(names);
            int last = -1;
            for (int i = 0; i < properties.size(); i++) {
                if (properties.get(i).required()) last = i;
            }
            this.lastRequired = last;
            int n = properties.size();
            windowEnd = new int[n + 1];
            int end = n - 1;
            for (int i = n; i >= 0; i--) {
                if (i < n && properties.get(i).required()) end = i;
                windowEnd[i] = end;
            }
        }

        /** Last declared index that may follow when the next one allowed is {@code next}. */
        int windowEnd(int next) {
            return windowEnd[next];
        }

        boolean canClose(int next) {
            return next > lastRequired;
        }

        boolean freeKeysAllowed(int next) {
            return additional != null && next > lastRequired;
        }

        boolean keysPossible(int next) {
            return next < properties.size() || freeKeysAllowed(next);
        }
    }

    /** A declared property: its name, its value's shape and whether it must appear. */
    record Property(String name, Shape value, boolean required) {
        byte[] quotedName() {
            return Literals.utf8(Literals.toJson(name).substring(1));
        }
    }

    /** An array: the {@code prefix} shapes in order, then {@code items} (null: none), between the bounds. */
    static final class ArrayShape extends Concrete {
        final List<Shape> prefix;
        final Shape items;
        final int minItems;
        /** -1: unbounded. */
        final int maxItems;

        ArrayShape(List<Shape> prefix, Shape items, int minItems, int maxItems) {
            this.prefix = List.copyOf(prefix);
            this.items = items;
            this.minItems = minItems;
            this.maxItems = maxItems;
        }

        /** The shape of item {@code index}, or null when no such item may exist. */
        Shape item(int index) {
            if (maxItems >= 0 && index >= maxItems) return null;
            return index < prefix.size() ? prefix.get(index) : items;
        }

        /** A count past which further items change nothing, so that states of long arrays stay equal. */
        int countCap() {
            return maxItems >= 0 ? maxItems : Math.max(minItems, prefix.size());
        }
    }

    /** A string whose decoded characters the automaton accepts. */
    static final class StringShape extends Concrete {
        final CodePointDfa dfa;
        final StringFrame opened;

        StringShape(CodePointDfa dfa) {
            this.dfa = dfa;
            this.opened = new StringFrame(dfa, 0, 0, 0);
        }
    }

    /** A number; an integer (no fraction, no exponent) between {@code min} and {@code max} when {@code integer}. */
    static final class NumberShape extends Concrete {
        static final long LIMIT = 999_999_999_999_999L;
        final boolean integer;
        final long min;
        final long max;
        final NumberFrame start;

        NumberShape(boolean integer, long min, long max) {
            this.integer = integer;
            this.min = min;
            this.max = max;
            this.start = new NumberFrame(this, NumberFrame.START, 0, 0, false);
        }

        /** Whether some integer in range has the sign {@code negative} and starts with the digits of {@code mag}. */
        boolean viable(boolean negative, long mag, int digits) {
            if (!integer) return true;
            if (digits == 0) return negative ? min <= 0 : max >= 0;
            if (mag == 0) return inRange(0);
            long scale = 1;
            for (int k = 0; digits + k <= JsonLimits.MAX_INTEGER_DIGITS; k++) {
                long lo = mag * scale;
                long hi = lo + scale - 1;
                if (negative ? -hi <= max && -lo >= min : lo <= max && hi >= min) return true;
                scale *= 10;
            }
            return false;
        }

        boolean inRange(long value) {
            return !integer || value >= min && value <= max;
        }
    }

    /** One of a few fixed serializations (true, false, null, an enum's values). */
    static final class LiteralShape extends Concrete {
        final ByteTrie values;
        final LiteralFrame start;

        LiteralShape(ByteTrie values) {
            this.values = values;
            this.start = new LiteralFrame(this, 0);
        }
    }

    /** Any of several shapes (anyOf, oneOf, a list of types). */
    static final class Choice extends Shape {
        private final List<Shape> options;
        private final String pointer;
        private Shape[] flat;
        private boolean resolving;

        Choice(List<Shape> options, String pointer) {
            this.options = List.copyOf(options);
            this.pointer = pointer;
        }

        @Override
        Shape[] alternatives() {
            if (flat == null) {
                if (resolving) throw UnsupportedSchemaException.at(pointer, "a cycle of anyOf and $ref");
                resolving = true;
                List<Shape> out = new ArrayList<>();
                for (Shape o : options) {
                    for (Shape a : o.alternatives()) {
                        if (!out.contains(a)) out.add(a);
                    }
                }
                if (out.isEmpty()) throw UnsupportedSchemaException.at(pointer, "no value satisfies this schema");
                flat = out.toArray(new Shape[0]);
                resolving = false;
            }
            return flat;
        }
    }

    /** A {@code $ref}, whose target is set once compiled (it may refer to itself). */
    static final class Ref extends Shape {
        private final String pointer;
        private Shape target;
        private Shape[] flat;
        private boolean resolving;

        Ref(String pointer) {
            this.pointer = pointer;
        }

        void target(Shape shape) {
            this.target = shape;
        }

        @Override
        Shape[] alternatives() {
            if (flat == null) {
                if (resolving) throw UnsupportedSchemaException.at(pointer, "a $ref cycle that never reaches a value");
                resolving = true;
                flat = target.alternatives();
                resolving = false;
            }
            return flat;
        }
    }
}
