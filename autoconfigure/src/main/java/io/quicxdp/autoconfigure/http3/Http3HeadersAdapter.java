package io.quicxdp.autoconfigure.http3;

import io.netty.handler.codec.http3.Http3Headers;
import io.netty.util.AsciiString;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.util.MultiValueMap;

/**
 * HTTP/3 fields as Spring's headers, in place: a request's as they came, a response's as they will go, without a
 * copy and without the pseudo-fields ({@code :method}, {@code :status}, ...). Names are looked up and written in
 * any case and kept in lower case, as HTTP/3 sends them. Lookups by name go straight to Netty's fields; iterating
 * makes a view, until the next change.
 */
final class Http3HeadersAdapter extends AbstractMap<String, List<String>> implements MultiValueMap<String, String> {

    private final Http3Headers fields;

    /** The fields by name, without the pseudo-fields: made when first iterated. */
    private @Nullable Map<String, List<String>> view;

    Http3HeadersAdapter(Http3Headers fields) {
        this.fields = fields;
    }

    @Override
    public @Nullable String getFirst(String key) {
        if (pseudo(key)) {
            return null;
        }
        CharSequence value = this.fields.get(Http3Fields.name(key));
        return (value != null) ? value.toString() : null;
    }

    @Override
    public @Nullable List<String> get(Object key) {
        if (!(key instanceof String name) || pseudo(name)) {
            return null;
        }
        List<CharSequence> values = this.fields.getAll(Http3Fields.name(name));
        return values.isEmpty() ? null : strings(values);
    }

    @Override
    public boolean containsKey(Object key) {
        return key instanceof String name && !pseudo(name) && this.fields.contains(Http3Fields.name(name));
    }

    @Override
    public Set<Entry<String, List<String>>> entrySet() {
        return view().entrySet();
    }

    @Override
    public void add(String key, @Nullable String value) {
        if (value != null) {
            this.fields.add(Http3Fields.name(key), value);
            this.view = null;
        }
    }

    @Override
    public void addAll(String key, List<? extends String> values) {
        this.fields.add(Http3Fields.name(key), values);
        this.view = null;
    }

    @Override
    public void addAll(MultiValueMap<String, String> values) {
        values.forEach(this::addAll);
    }

    @Override
    public void set(String key, @Nullable String value) {
        if (value != null) {
            this.fields.set(Http3Fields.name(key), value);
            this.view = null;
        }
    }

    @Override
    public void setAll(Map<String, String> values) {
        values.forEach(this::set);
    }

    @Override
    public @Nullable List<String> put(String key, List<String> value) {
        List<String> previous = get(key);
        this.fields.set(Http3Fields.name(key), value);
        this.view = null;
        return previous;
    }

    @Override
    public @Nullable List<String> remove(Object key) {
        List<String> previous = get(key);
        if (previous != null) {
            this.fields.remove(Http3Fields.name((String) key));
            this.view = null;
        }
        return previous;
    }

    @Override
    public void clear() {
        for (String name : new ArrayList<>(keySet())) {
            this.fields.remove(AsciiString.of(name));
        }
        this.view = null;
    }

    @Override
    public Map<String, String> toSingleValueMap() {
        Map<String, String> first = new LinkedHashMap<>();
        view().forEach((name, values) -> first.put(name, values.get(0)));
        return first;
    }

    private Map<String, List<String>> view() {
        Map<String, List<String>> view = this.view;
        if (view == null) {
            view = new LinkedHashMap<>();
            for (Map.Entry<CharSequence, CharSequence> field : this.fields) {
                String name = field.getKey().toString();
                if (!pseudo(name)) {
                    view.computeIfAbsent(name, (key) -> new ArrayList<>(1)).add(field.getValue().toString());
                }
            }
            this.view = view;
        }
        return view;
    }

    private static boolean pseudo(String name) {
        return !name.isEmpty() && name.charAt(0) == ':';
    }

    private static List<String> strings(List<CharSequence> values) {
        List<String> strings = new ArrayList<>(values.size());
        for (CharSequence value : values) {
            strings.add(value.toString());
        }
        return strings;
    }
}
