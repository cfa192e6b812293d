/** The {@code xdp} health contributor: one indicator per configured map. */
@NullMarked
package io.quicxdp.autoconfigure.actuate.health;

import org.jspecify.annotations.NullMarked;
