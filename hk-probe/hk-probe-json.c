/* hk-probe-json.c: --json, the report items as one JSON object.
 *
 *   { "schema": 1, "version": "0.1.0", "sysroot": null,
 *     "kernel": { "release": "6.1.0", ... }, ...,
 *     "decision": { "backend": "thp", ... },
 *     "checks": [ { "key": "kernel.release", "status": "ok",
 *                   "detail": "syscall", "hint": null }, ... ] }
 *
 * Sections and keys are those of the text report; values are typed
 * (numbers, booleans, null for "unlimited"/"unknown"/"not tried").  The
 * schema number changes only when a key changes meaning or goes away. */
#include "hk-probe/hk-probe.h"

#define HK_JSON_SCHEMA 1

void hk_cli_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void hk_json_value(FILE *out, const struct hk_item *it)
{
	switch (it->kind) {
	case HK_V_INT:
		fprintf(out, "%lld", it->num);
		break;
	case HK_V_BOOL:
		fputs(it->num ? "true" : "false", out);
		break;
	case HK_V_NULL:
		fputs("null", out);
		break;
	case HK_V_FIELDS:
		fputc('{', out);
		for (int i = 0; i < it->nfields; i++)
			fprintf(out, "%s\"%s\": %lld", i ? ", " : "", it->fields[i].name,
				it->fields[i].v);
		fputc('}', out);
		break;
	default:
		hk_cli_json_string(out, it->str);
		break;
	}
}

static void hk_json_opt_string(FILE *out, const char *s)
{
	if (s && *s)
		hk_cli_json_string(out, s);
	else
		fputs("null", out);
}

static void hk_json_checks(FILE *out, const struct hk_report *r)
{
	fputs("  \"checks\": [", out);
	for (int i = 0; i < r->n; i++) {
		const struct hk_item *it = &r->items[i];

		fprintf(out, "%s\n    {\"key\": \"%s.%s\", \"status\": \"%s\", \"detail\": ",
			i ? "," : "", hk_cli_sect_key(it->sect), it->key,
			hk_cli_mark_name(it->mark));
		hk_json_opt_string(out, it->detail);
		fputs(", \"hint\": ", out);
		hk_json_opt_string(out, it->hint);
		fputc('}', out);
	}
	fputs("\n  ]\n", out);
}

void hk_cli_print_json(FILE *out, const struct hk_facts *f, const struct hk_report *r)
{
	int sect = -1;

	fprintf(out, "{\n  \"schema\": %d,\n  \"version\": \"%s\",\n  \"sysroot\": ",
		HK_JSON_SCHEMA, PACKAGE_VERSION);
	hk_json_opt_string(out, f->sysroot);
	for (int i = 0; i < r->n; i++) {
		const struct hk_item *it = &r->items[i];

		if ((int)it->sect != sect) {
			fprintf(out, "%s,\n  \"%s\": {", sect >= 0 ? "\n  }" : "",
				hk_cli_sect_key(it->sect));
			sect = (int)it->sect;
		} else {
			fputc(',', out);
		}
		fprintf(out, "\n    \"%s\": ", it->key);
		hk_json_value(out, it);
	}
	fputs(sect >= 0 ? "\n  },\n" : ",\n", out);
	hk_json_checks(out, r);
	fputs("}\n", out);
}
