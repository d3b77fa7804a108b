/**
 * Implementation helpers shared by the modules that write bundles (the converter, training's export); not
 * part of the public API and may change without notice.
 */
package org.sonarllm.bundle.internal;
