# hk-probe/: the program that shows what the probe found and the backend
# chosen (doc/hk-probe.1), on top of lib/libhkcore.la.
bin_PROGRAMS += hk-probe/hk-probe
hk_probe_hk_probe_SOURCES = \
	hk-probe/hk-probe.h hk-probe/hk-probe.c \
	hk-probe/hk-probe-facts.c \
	hk-probe/hk-probe-report.c hk-probe/hk-probe-json.c \
	hk-probe/hk-probe-caps.c hk-probe/hk-probe-conf.c \
	hk-probe/hk-probe-bench.c \
	hk-probe/hk-probe-selftest.c
hk_probe_hk_probe_LDADD = lib/libhkcore.la
if HAVE_LIBCAP_NG
hk_probe_hk_probe_CFLAGS = $(AM_CFLAGS) $(CAPNG_CFLAGS)
hk_probe_hk_probe_LDADD += $(CAPNG_LIBS)
endif
