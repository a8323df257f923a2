package tserver.jtapibridge.fake;

import com.cisco.jtapi.extensions.CiscoCallEv;
import com.cisco.jtapi.extensions.CiscoFeatureReason;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.telephony.Call;
import javax.telephony.events.CallEv;
import javax.telephony.events.Ev;

/**
 * Fake JTAPI events: dynamic proxies of the event interfaces, answering each accessor from a map (as
 * Cisco's implementation classes, they are instances of the leaf interface and, for call events, of
 * CiscoCallEv). Unset accessors answer Cisco's defaults: cause CAUSE_NORMAL, feature reason REASON_NORMAL.
 */
final class Events {
    private Events() {}

    static final class Builder {
        private final List<Class<?>> types = new ArrayList<>();
        private final Map<String, Object> values = new HashMap<>();

        Builder(Class<?> type) {
            types.add(type);
            if (CallEv.class.isAssignableFrom(type)) types.add(CiscoCallEv.class);
        }

        Builder with(String accessor, Object value) {
            values.put(accessor, value);
            return this;
        }

        Builder also(Class<?> type) {
            types.add(type);
            return this;
        }

        @SuppressWarnings("unchecked")
        <T> T build() {
            Map<String, Object> v = new HashMap<>(values);
            String name = types.get(0).getSimpleName();
            return (T) Proxy.newProxyInstance(Events.class.getClassLoader(), types.toArray(new Class<?>[0]), (proxy, method, args) -> {
                String m = method.getName();
                if (v.containsKey(m)) return v.get(m);
                switch (m) {
                    case "toString": return "Fake" + name + v;
                    case "hashCode": return System.identityHashCode(proxy);
                    case "equals": return proxy == args[0];
                    case "getCause": return Ev.CAUSE_NORMAL;
                    case "getCallControlCause": return Ev.CAUSE_NORMAL;
                    case "getCiscoFeatureReason": return CiscoFeatureReason.REASON_NORMAL;
                    case "getMetaCode": return 0;
                    case "isSuccess": return true;
                    case "getCallingAddress": return call(v) instanceof FakeCall ? ((FakeCall) call(v)).getCallingAddress() : null;
                    case "getCalledAddress": return call(v) instanceof FakeCall ? ((FakeCall) call(v)).getCalledAddress() : null;
                    case "getLastRedirectedAddress": return call(v) instanceof FakeCall ? ((FakeCall) call(v)).getLastRedirectedAddress() : null;
                    default:
                        Class<?> r = method.getReturnType();
                        if (r == boolean.class) return false;
                        if (r == int.class) return 0;
                        return null;
                }
            });
        }

        private static Call call(Map<String, Object> v) {
            return (Call) v.get("getCall");
        }
    }

    static Builder of(Class<?> type) {
        return new Builder(type);
    }

    static String describe(Object[] events) {
        return Arrays.toString(events);
    }
}
