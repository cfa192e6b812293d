/** The read-only {@code xdp} Actuator endpoint. */
@NullMarked
package io.quicxdp.autoconfigure.actuate.endpoint;

import org.jspecify.annotations.NullMarked;
