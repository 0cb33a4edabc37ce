# probe/: the facts about the running kernel and the backend policy, the
# bottom layer (it includes nothing from lib/).  Its sources go into
# lib/libhkcore.la (lib/local.mk) with the OS layer above them.
HK_PROBE_SOURCES = \
	probe/caps.h probe/kconst.h \
	probe/fmt.h probe/fmt.c \
	probe/probe.c \
	probe/readers.h \
	probe/sysfile.h probe/sysfile.c \
	probe/uname.c probe/limits.c probe/privs.c probe/thp.c \
	probe/hugetlb.c probe/madv.c \
	probe/select.h probe/select.c \
	probe/chunk.h probe/chunk.c \
	probe/conf.h probe/conf.c
