// Compiles the precompiled header the plugins share.
