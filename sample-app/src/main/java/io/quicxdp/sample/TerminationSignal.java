package io.quicxdp.sample;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Makes SIGTERM a normal stop: exit status 0 once the shutdown hooks (Spring's closes the context, and so
 * the datapath) have run, instead of the JVM's 143, which service managers such as systemd count as a
 * failure.
 *
 * <p>The JDK handles signals only through {@code sun.misc.Signal} (module {@code jdk.unsupported}). It is
 * used reflectively, so that the build stays free of proprietary-API warnings and a JVM without it still
 * runs the sample, exiting with 143 on SIGTERM.
 */
final class TerminationSignal {

    private static final Log logger = LogFactory.getLog(TerminationSignal.class);

    private TerminationSignal() {
    }

    static void exitNormallyOnSigterm() {
        try {
            Class<?> signalType = Class.forName("sun.misc.Signal");
            Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
            Object term = signalType.getConstructor(String.class).newInstance("TERM");
            InvocationHandler exit = TerminationSignal::invoke;
            Object handler = Proxy.newProxyInstance(handlerType.getClassLoader(), new Class<?>[] { handlerType }, exit);
            signalType.getMethod("handle", signalType, handlerType).invoke(null, term, handler);
        }
        catch (ReflectiveOperationException | RuntimeException | LinkageError ex) {
            logger.debug("SIGTERM keeps the JVM's exit status 143: " + ex);
        }
    }

    private static Object invoke(Object proxy, Method method, Object[] arguments) {
        switch (method.getName()) {
            case "handle":
                // on the JVM's signal thread, as its own handler would: run the shutdown hooks, then exit
                System.exit(0);
                return null;
            case "hashCode":
                return System.identityHashCode(proxy);
            case "equals":
                return proxy == arguments[0];
            default:
                return "exit status 0 on SIGTERM";
        }
    }
}
