/* Unit tests for the JSON documents besides images: registry answers,
   credential files, kubeadm's image list and local layouts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "preflight/buf.h"
#include "preflight/error.h"
#include "preflight/kubeadm.h"
#include "preflight/manifest.h"
#include "preflight/offline.h"

#define HEX64 "0123456789abcdef0123456789abcdef" \
	      "0123456789abcdef0123456789abcdef"
#define D1 "sha256:" HEX64

static const char *show(const char *s)
{
	return s ? s : "(null)";
}

/* Compare strings (NULL allowed), naming the case and both values. */
static void check_str(const char *what, const char *found,
		      const char *expected)
{
	if (!found && !expected)
		return;
	if (!found || !expected || strcmp(found, expected))
		fail_msg("%s: expected '%s', found '%s'", what, show(expected),
			 show(found));
}

static void check_int(const char *what, long long found, long long expected)
{
	if (found != expected)
		fail_msg("%s: expected %lld, found %lld", what, expected,
			 found);
}

/* A parse's outcome: 0, or -1 with this category and message. */
static void check_result(const char *what, int rc, const struct error *err,
			 enum error_category category, const char *message)
{
	if (!message) {
		if (rc != 0)
			fail_msg("%s: expected success, found '%s'", what,
				 err->message);
		return;
	}
	if (rc != -1)
		fail_msg("%s: expected '%s', found success", what, message);
	check_str(what, err->message, message);
	check_str(what, error_category_name(err->category),
		  error_category_name(category));
}

/* A JSON array of n copies of item, separated by commas; caller frees. */
static char *text_repeat(const char *before, const char *item, size_t n,
			 const char *after)
{
	struct buf b;
	struct error err;
	size_t i;

	buf_init(&b);
	error_init(&err);
	assert_int_equal(buf_append(&b, before, strlen(before), SIZE_MAX, "",
				    &err), 0);
	for (i = 0; i < n; i++) {
		if (i)
			assert_int_equal(buf_append(&b, ",", 1, SIZE_MAX, "",
						    &err), 0);
		assert_int_equal(buf_append(&b, item, strlen(item), SIZE_MAX,
					    "", &err), 0);
	}
	assert_int_equal(buf_append(&b, after, strlen(after), SIZE_MAX, "",
				    &err), 0);
	return buf_detach(&b);
}

/* ---- registry answers ---- */

static const struct registry_error_case {
	const char *name;
	const char *body;
	const char *code;
	const char *message;
} registry_error_cases[] = {
	{ "first error", "{\"errors\": [{\"code\": \"MANIFEST_UNKNOWN\", "
	  "\"message\": \"manifest unknown\"}, {\"code\": \"OTHER\"}]}",
	  "MANIFEST_UNKNOWN", "manifest unknown" },
	{ "raw text kept", "{\"errors\": [{\"code\": \"DENIED\", "
	  "\"message\": \"a\\nb\"}]}", "DENIED", "a\nb" },
	{ "code only", "{\"errors\": [{\"code\": \"DENIED\"}]}", "DENIED",
	  NULL },
	{ "wrong types", "{\"errors\": [{\"code\": 1, \"message\": []}]}",
	  NULL, NULL },
	{ "errors not an array", "{\"errors\": {\"code\": \"X\"}}", NULL,
	  NULL },
	{ "empty errors", "{\"errors\": []}", NULL, NULL },
	{ "malformed", "{\"errors\": [{\"code\": \"X\"", NULL, NULL },
	{ "HTML", "<html>502 Bad Gateway</html>", NULL, NULL },
	{ "empty body", "", NULL, NULL },
};

static void test_registry_error(void **state)
{
	const struct registry_error_case *c;
	struct document_registry_error e;
	size_t i;

	for (i = 0; i < sizeof(registry_error_cases) /
			    sizeof(registry_error_cases[0]); i++) {
		c = &registry_error_cases[i];
		document_registry_error_parse(c->body, strlen(c->body), &e);
		check_str(c->name, e.code, c->code);
		check_str(c->name, e.message, c->message);
		document_registry_error_release(&e);
		check_str(c->name, e.code, NULL);
	}
	/* an empty body may come without a buffer at all */
	document_registry_error_parse(NULL, 0, &e);
	check_str("no buffer", e.code, NULL);
	document_registry_error_release(&e);
}

static const struct token_case {
	const char *name;
	const char *body;
	const char *token;
	const char *access_token;
} token_cases[] = {
	{ "token", "{\"token\": \"abc\", \"expires_in\": 300}", "abc",
	  NULL },
	{ "OAuth2 name", "{\"access_token\": \"xyz\"}", NULL, "xyz" },
	{ "both", "{\"token\": \"\", \"access_token\": \"xyz\"}", "", "xyz" },
	{ "wrong types", "{\"token\": 5, \"access_token\": null}", NULL,
	  NULL },
	{ "an array", "[\"abc\"]", NULL, NULL },
	{ "malformed", "{\"token\": \"abc\"", NULL, NULL },
	{ "NUL in the token", "{\"token\": \"a\\u0000b\"}", NULL, NULL },
};

static void test_token(void **state)
{
	const struct token_case *c;
	struct document_token t;
	size_t i;

	for (i = 0; i < sizeof(token_cases) / sizeof(token_cases[0]); i++) {
		c = &token_cases[i];
		document_token_parse(c->body, strlen(c->body), &t);
		check_str(c->name, t.token, c->token);
		check_str(c->name, t.access_token, c->access_token);
		document_token_release(&t);
		check_str(c->name, t.token, NULL);
		check_str(c->name, t.access_token, NULL);
	}
	document_token_parse(NULL, 0, &t);
	check_str("no buffer", t.token, NULL);
	document_token_release(&t);
}

/* ---- kubeadm's image list ---- */

static void test_image_list_ok(void **state)
{
	static const char text[] =
		"{\"kind\": \"Images\", \"images\": "
		"[\"registry.k8s.io/pause:3.9\", 7, \"\"]}";
	struct document_image_list l;
	struct error err;

	error_init(&err);
	check_result("list", document_image_list_parse(text, strlen(text), &l,
						       &err),
		     &err, ERROR_NONE, NULL);
	check_int("count", (long long)l.count, 3);
	check_str("images[0]", l.images[0], "registry.k8s.io/pause:3.9");
	check_str("images[1] (not a string)", l.images[1], NULL);
	check_str("images[2]", l.images[2], "");
	document_image_list_release(&l);
	check_int("released", (long long)l.count, 0);
}

static const struct image_list_case {
	const char *name;
	const char *text;
	enum error_category category;
	const char *message;
} image_list_cases[] = {
	{ "empty list", "{\"kind\": \"Images\", \"images\": []}", ERROR_NONE,
	  NULL },
	{ "malformed, line and column kept",
	  "{\"kind\": \"Images\",\n \"images\": [\"a\",]}", ERROR_FORMAT,
	  "line 2 column 17: unexpected token near ']'" },
	{ "duplicate key",
	  "{\"kind\": \"Images\", \"kind\": \"Images\", \"images\": []}",
	  ERROR_FORMAT,
	  "line 1 column 25: duplicate object key near '\"kind\"'" },
	{ "empty output", "", ERROR_FORMAT,
	  "line 1 column 0: '[' or '{' expected near end of file" },
	{ "another kind", "{\"kind\": \"List\", \"images\": []}",
	  ERROR_FORMAT,
	  "expected an object of kind \"Images\" with an \"images\" array" },
	{ "kind not a string", "{\"kind\": 1, \"images\": []}", ERROR_FORMAT,
	  "expected an object of kind \"Images\" with an \"images\" array" },
	{ "images not an array", "{\"kind\": \"Images\", \"images\": \"a\"}",
	  ERROR_FORMAT,
	  "expected an object of kind \"Images\" with an \"images\" array" },
	{ "an array", "[]", ERROR_FORMAT,
	  "expected an object of kind \"Images\" with an \"images\" array" },
};

static void test_image_list_errors(void **state)
{
	const struct image_list_case *c;
	struct document_image_list l;
	struct error err;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(image_list_cases) /
			    sizeof(image_list_cases[0]); i++) {
		c = &image_list_cases[i];
		error_init(&err);
		rc = document_image_list_parse(c->text, strlen(c->text), &l,
					       &err);
		check_result(c->name, rc, &err, c->category, c->message);
		if (rc < 0)
			check_int(c->name, (long long)l.count, 0);
		document_image_list_release(&l);
	}
}

static void test_image_list_limit(void **state)
{
	struct document_image_list l;
	struct error err;
	char *text;

	text = text_repeat("{\"kind\": \"Images\", \"images\": [", "\"a\"",
			   KUBEADM_IMAGES_MAX, "]}");
	error_init(&err);
	check_result("at the limit", document_image_list_parse(
				     text, strlen(text), &l, &err),
		     &err, ERROR_NONE, NULL);
	check_int("count", (long long)l.count, KUBEADM_IMAGES_MAX);
	document_image_list_release(&l);
	free(text);
	text = text_repeat("{\"kind\": \"Images\", \"images\": [", "\"a\"",
			   KUBEADM_IMAGES_MAX + 1, "]}");
	check_result("over the limit", document_image_list_parse(
				       text, strlen(text), &l, &err),
		     &err, ERROR_LIMIT,
		     "more than 64 images (KUBEADM_IMAGES_MAX)");
	check_int("nothing kept", (long long)l.count, 0);
	free(text);
}

/* ---- credential files ---- */

static void test_auth_ok(void **state)
{
	static const char text[] =
		"{\"auths\": {"
		"\"https://index.docker.io/v1/\": {\"auth\": \"dTpw\"},"
		"\"reg.example/team\": {\"username\": \"u\", "
		"\"password\": \"p\", \"identitytoken\": null},"
		"\"empty.example\": {},"
		"\"odd.example\": \"x\","
		"\"typed.example\": {\"password\": 5}},"
		"\"credHelpers\": {\"gcr.io\": \"gcloud\", \"x.io\": 1},"
		"\"credsStore\": \"desktop\"}";
	struct document_auth a;
	struct error err;

	error_init(&err);
	check_result("config.json", document_auth_parse(text, strlen(text),
							false, &a, &err),
		     &err, ERROR_NONE, NULL);
	check_int("auths", a.auths, DOCUMENT_PRESENT);
	check_int("entries", (long long)a.entry_count, 5);
	check_str("entry 0 key", a.entries[0].key,
		  "https://index.docker.io/v1/");
	check_str("entry 0 auth", a.entries[0].auth, "dTpw");
	check_int("entry 0 usable", a.entries[0].usable, true);
	check_str("entry 1 username", a.entries[1].username, "u");
	check_str("entry 1 password", a.entries[1].password, "p");
	check_str("entry 1 token (null)", a.entries[1].identity_token, NULL);
	check_int("entry 1 strings", a.entries[1].strings, true);
	check_int("entry 2 object", a.entries[2].object, true);
	check_int("entry 2 usable", a.entries[2].usable, false);
	check_int("entry 3 object", a.entries[3].object, false);
	check_int("entry 4 strings", a.entries[4].strings, false);
	check_int("entry 4 usable", a.entries[4].usable, true);
	check_int("credHelpers", a.cred_helpers, DOCUMENT_PRESENT);
	check_int("helpers", (long long)a.helper_count, 2);
	check_str("helper 0", a.helpers[0].name, "gcloud");
	check_str("helper 1 (not a string)", a.helpers[1].name, NULL);
	check_int("credsStore", a.creds_store, DOCUMENT_PRESENT);
	check_str("credsStore name", a.creds_store_name, "desktop");
	document_auth_release(&a);
	check_int("released", (long long)a.entry_count, 0);
}

static const struct auth_shape_case {
	const char *name;
	const char *text;
	bool legacy;
	enum document_member auths, cred_helpers, creds_store;
	size_t entries;
} auth_shape_cases[] = {
	{ "empty", "{}", false, DOCUMENT_ABSENT, DOCUMENT_ABSENT,
	  DOCUMENT_ABSENT, 0 },
	{ "null members",
	  "{\"auths\": null, \"credHelpers\": null, \"credsStore\": null}",
	  false, DOCUMENT_WRONG_TYPE, DOCUMENT_WRONG_TYPE,
	  DOCUMENT_WRONG_TYPE, 0 },
	{ "wrong types",
	  "{\"auths\": [], \"credHelpers\": \"x\", \"credsStore\": {}}",
	  false, DOCUMENT_WRONG_TYPE, DOCUMENT_WRONG_TYPE,
	  DOCUMENT_WRONG_TYPE, 0 },
	{ "empty store", "{\"credsStore\": \"\"}", false, DOCUMENT_ABSENT,
	  DOCUMENT_ABSENT, DOCUMENT_PRESENT, 0 },
	/* a repeated key keeps its first place and its last value */
	{ "repeated key",
	  "{\"auths\": {\"a\": {}, \"b\": {}, \"a\": {\"auth\": \"x\"}}}",
	  false, DOCUMENT_PRESENT, DOCUMENT_ABSENT, DOCUMENT_ABSENT, 2 },
	{ "legacy", "{\"reg.example\": {\"auth\": \"dTpw\"}, "
	  "\"auths\": {}, \"credsStore\": \"x\"}", true, DOCUMENT_PRESENT,
	  DOCUMENT_ABSENT, DOCUMENT_ABSENT, 3 },
};

static void test_auth_shapes(void **state)
{
	const struct auth_shape_case *c;
	struct document_auth a;
	struct error err;
	size_t i;

	for (i = 0; i < sizeof(auth_shape_cases) /
			    sizeof(auth_shape_cases[0]); i++) {
		c = &auth_shape_cases[i];
		error_init(&err);
		check_result(c->name, document_auth_parse(c->text,
							  strlen(c->text),
							  c->legacy, &a, &err),
			     &err, ERROR_NONE, NULL);
		check_int(c->name, a.auths, c->auths);
		check_int(c->name, a.cred_helpers, c->cred_helpers);
		check_int(c->name, a.creds_store, c->creds_store);
		check_int(c->name, (long long)a.entry_count,
			  (long long)c->entries);
		document_auth_release(&a);
	}
	/* the repeated key: "a" first, with the later value */
	error_init(&err);
	assert_int_equal(document_auth_parse(auth_shape_cases[4].text,
					     strlen(auth_shape_cases[4].text),
					     false, &a, &err), 0);
	check_str("first key", a.entries[0].key, "a");
	check_str("its value", a.entries[0].auth, "x");
	document_auth_release(&a);
}

static const struct auth_error_case {
	const char *name;
	const char *text;
	const char *message;
	const char *secret;     /* must not appear in the message */
} auth_error_cases[] = {
	{ "secret after the error",
	  "{\"auths\": {\"h\": {\"password\": hunter2}}}",
	  "malformed JSON at line 1 column 35: invalid token", "hunter" },
	{ "secret near the error",
	  "{\"auths\": {\"h\": {\"password\": \"hunter2\" \"x\"}}}",
	  "malformed JSON at line 1 column 42: '}' expected", "hunter2" },
	{ "second line", "{\"auths\": {\n\"h\": {\"auth\": \"c2VjcmV0\"}\n",
	  "malformed JSON at line 3 column 0: '}' expected",
	  "c2VjcmV0" },
	{ "NUL in a secret", "{\"auths\": {\"h\": {\"auth\": \"a\\u0000\"}}}",
	  "malformed JSON at line 1 column 34: \\u0000 is not allowed "
	  "without JSON_ALLOW_NUL", "a\\u0000" },
	{ "empty file", "",
	  "malformed JSON at line 1 column 0: '[' or '{' expected", NULL },
	{ "an array", "[{\"auth\": \"c2VjcmV0\"}]", "not a JSON object",
	  NULL },
};

static void test_auth_errors(void **state)
{
	const struct auth_error_case *c;
	struct document_auth a;
	struct error err;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(auth_error_cases) /
			    sizeof(auth_error_cases[0]); i++) {
		c = &auth_error_cases[i];
		error_init(&err);
		rc = document_auth_parse(c->text, strlen(c->text), false, &a,
					 &err);
		check_result(c->name, rc, &err, ERROR_FORMAT, c->message);
		if (c->secret && strstr(err.message, c->secret))
			fail_msg("%s: message '%s' shows the secret", c->name,
				 err.message);
		check_int(c->name, (long long)a.entry_count, 0);
		document_auth_release(&a);
	}
}

static const struct helper_case {
	const char *name;
	const char *text;
	const char *username;
	const char *secret;
	const char *message;
} helper_cases[] = {
	{ "user and secret", "{\"ServerURL\": \"reg.example\", "
	  "\"Username\": \"u\", \"Secret\": \"s3cr3t\"}", "u", "s3cr3t",
	  NULL },
	{ "identity token", "{\"Username\": \"<token>\", \"Secret\": \"t\"}",
	  "<token>", "t", NULL },
	{ "malformed", "{\"Username\": \"u\", \"Secret\": \"s3cr3t\"", NULL,
	  NULL, "malformed JSON at line 1 column 36" },
	{ "malformed, second line", "{\"Username\": \"u\",\n\"Secret\": s3cr3t}",
	  NULL, NULL, "malformed JSON at line 2 column 11" },
	{ "no secret", "{\"Username\": \"u\"}", NULL, NULL,
	  "answer lacks string 'Username' and 'Secret'" },
	{ "null secret", "{\"Username\": \"u\", \"Secret\": null}", NULL,
	  NULL, "answer lacks string 'Username' and 'Secret'" },
	{ "number user", "{\"Username\": 1, \"Secret\": \"s\"}", NULL, NULL,
	  "answer lacks string 'Username' and 'Secret'" },
	{ "an array", "[\"u\", \"s3cr3t\"]", NULL, NULL,
	  "answer lacks string 'Username' and 'Secret'" },
};

static void test_helper_answer(void **state)
{
	const struct helper_case *c;
	struct document_helper_answer a;
	struct error err;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(helper_cases) / sizeof(helper_cases[0]);
	     i++) {
		c = &helper_cases[i];
		error_init(&err);
		rc = document_helper_answer_parse(c->text, strlen(c->text), &a,
						  &err);
		check_result(c->name, rc, &err, ERROR_FORMAT, c->message);
		check_str(c->name, a.username, c->username);
		check_str(c->name, a.secret, c->secret);
		if (strstr(err.message, "s3cr3t"))
			fail_msg("%s: message '%s' shows the secret", c->name,
				 err.message);
		document_helper_answer_release(&a);
		check_str(c->name, a.secret, NULL);
	}
}

/* ---- local layouts ---- */

#define WHAT "'f' in 'oci:/x'"

static void test_oci_layout(void **state)
{
	static const struct {
		const char *text;
		const char *version;
		const char *message;
	} cases[] = {
		{ "{\"imageLayoutVersion\": \"1.0.0\"}", "1.0.0", NULL },
		{ "{}", NULL, NULL },
		{ "{\"imageLayoutVersion\": 1}", NULL, NULL },
		{ "[\"1.0.0\"]", NULL, NULL },
		{ "{\"imageLayoutVersion\": 1.0.0}", NULL,
		  WHAT " is not valid JSON: line 1, column 27: '}' expected "
		  "near '.'" },
	};
	struct error err;
	char *version;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		error_init(&err);
		check_result(cases[i].text,
			     document_oci_layout_parse(cases[i].text,
						       strlen(cases[i].text),
						       WHAT, &version, &err),
			     &err, ERROR_FORMAT, cases[i].message);
		check_str(cases[i].text, version, cases[i].version);
		free(version);
	}
}

static void test_layout_index_ok(void **state)
{
	static const char text[] =
		"{\"schemaVersion\": 2, \"manifests\": ["
		"{\"mediaType\": \"" MT_OCI_MANIFEST "\", \"digest\": \"" D1
		"\", \"size\": 42, \"annotations\": {"
		"\"org.opencontainers.image.ref.name\": \"v1\", "
		"\"io.containerd.image.name\": \"docker.io/library/a:v1\"}},"
		"{\"digest\": 7, \"size\": -1, \"annotations\": []},"
		"{\"digest\": \"x\", \"size\": \"42\"},"
		"\"not an object\"]}";
	struct document_layout_index idx;
	struct error err;

	error_init(&err);
	check_result("index", document_layout_index_parse(text, strlen(text),
							  WHAT, &idx, &err),
		     &err, ERROR_NONE, NULL);
	check_int("count", (long long)idx.count, 4);
	check_str("0 type", idx.entries[0].media_type, MT_OCI_MANIFEST);
	check_str("0 digest", idx.entries[0].digest, D1);
	check_int("0 size", idx.entries[0].size, 42);
	check_str("0 ref", idx.entries[0].ref_name, "v1");
	check_str("0 name", idx.entries[0].image_name,
		  "docker.io/library/a:v1");
	check_str("1 digest", idx.entries[1].digest, NULL);
	check_int("1 negative size", idx.entries[1].size, -1);
	check_str("1 ref", idx.entries[1].ref_name, NULL);
	check_int("2 string size", idx.entries[2].size, -1);
	check_str("3 digest", idx.entries[3].digest, NULL);
	check_int("3 size", idx.entries[3].size, -1);
	document_layout_index_release(&idx);
	check_int("released", (long long)idx.count, 0);
}

static void test_layout_index_errors(void **state)
{
	static const struct {
		const char *name;
		const char *text;
		const char *message;
	} cases[] = {
		{ "malformed", "{\"manifests\": [\n  {\"digest\": \"x\"\n  ]}",
		  WHAT " is not valid JSON: line 3, column 3: '}' expected "
		  "near ']'" },
		{ "no manifests", "{}", WHAT " has no 'manifests' array" },
		{ "manifests an object", "{\"manifests\": {}}",
		  WHAT " has no 'manifests' array" },
		{ "an array", "[]", WHAT " has no 'manifests' array" },
	};
	struct document_layout_index idx;
	struct error err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		error_init(&err);
		check_result(cases[i].name,
			     document_layout_index_parse(cases[i].text,
							 strlen(cases[i].text),
							 WHAT, &idx, &err),
			     &err, ERROR_FORMAT, cases[i].message);
		check_int(cases[i].name, (long long)idx.count, 0);
	}
}

static void test_layout_index_limit(void **state)
{
	struct document_layout_index idx;
	struct error err;
	char *text;

	text = text_repeat("{\"manifests\": [", "{}", INDEX_ENTRIES_MAX,
			   "]}");
	error_init(&err);
	check_result("at the limit", document_layout_index_parse(
				     text, strlen(text), WHAT, &idx, &err),
		     &err, ERROR_NONE, NULL);
	check_int("count", (long long)idx.count, INDEX_ENTRIES_MAX);
	document_layout_index_release(&idx);
	free(text);
	text = text_repeat("{\"manifests\": [", "{}", INDEX_ENTRIES_MAX + 1,
			   "]}");
	check_result("over the limit", document_layout_index_parse(
				       text, strlen(text), WHAT, &idx, &err),
		     &err, ERROR_LIMIT,
		     WHAT " lists 1025 entries, more than 1024 "
		     "(INDEX_ENTRIES_MAX)");
	free(text);
}

static void test_docker_archive_ok(void **state)
{
	static const char text[] =
		"[{\"Config\": \"c.json\", \"RepoTags\": [\"a:1\", \"b:2\"], "
		"\"Layers\": [\"l1/layer.tar\", 3]},"
		"{\"Config\": \"d.json\", \"RepoTags\": null, \"Layers\": []}]";
	struct document_docker_archive a;
	struct error err;

	error_init(&err);
	check_result("archive", document_docker_archive_parse(
					text, strlen(text), WHAT, &a, &err),
		     &err, ERROR_NONE, NULL);
	check_int("images", (long long)a.count, 2);
	check_str("0 config", a.images[0].config, "c.json");
	check_int("0 tags", (long long)a.images[0].tag_count, 2);
	check_str("0 tag 1", a.images[0].tags[1], "b:2");
	check_int("0 layers", (long long)a.images[0].layer_count, 2);
	check_str("0 layer 0", a.images[0].layers[0], "l1/layer.tar");
	check_str("0 layer 1 (not a string)", a.images[0].layers[1], NULL);
	check_int("1 tags", (long long)a.images[1].tag_count, 0);
	check_int("1 layers", (long long)a.images[1].layer_count, 0);
	document_docker_archive_release(&a);
	check_int("released", (long long)a.count, 0);
}

static void test_docker_archive_errors(void **state)
{
	static const struct {
		const char *name;
		const char *text;
		enum error_category category;
		const char *message;
	} cases[] = {
		{ "malformed", "[{\"Config\": \"c.json\", }]", ERROR_FORMAT,
		  WHAT " is not valid JSON: line 1, column 23: string or '}' "
		  "expected near '}'" },
		{ "an object", "{}", ERROR_FORMAT, WHAT " is not an array" },
		{ "no Config", "[{\"Layers\": []}]", ERROR_FORMAT,
		  WHAT ": image 0 has no Config or no Layers" },
		{ "Layers not an array",
		  "[{\"Config\": \"c\", \"Layers\": []},"
		  "{\"Config\": \"c\", \"Layers\": \"l\"}]", ERROR_FORMAT,
		  WHAT ": image 1 has no Config or no Layers" },
		{ "a tag not a string",
		  "[{\"Config\": \"c\", \"Layers\": [], \"RepoTags\": [1]}]",
		  ERROR_FORMAT, WHAT ": image 0 has a tag that is not a "
		  "string" },
	};
	struct document_docker_archive a;
	struct error err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		error_init(&err);
		check_result(cases[i].name,
			     document_docker_archive_parse(
				     cases[i].text, strlen(cases[i].text),
				     WHAT, &a, &err),
			     &err, cases[i].category, cases[i].message);
		check_int(cases[i].name, (long long)a.count, 0);
	}
}

static void test_docker_archive_limits(void **state)
{
	struct document_docker_archive a;
	struct error err;
	char *text, *tags;

	error_init(&err);
	text = text_repeat("[", "{\"Config\": \"c\", \"Layers\": []}",
			   OFFLINE_IMAGES_MAX + 1, "]");
	check_result("images", document_docker_archive_parse(
				       text, strlen(text), WHAT, &a, &err),
		     &err, ERROR_LIMIT,
		     WHAT " lists 1025 images, more than 1024 "
		     "(OFFLINE_IMAGES_MAX)");
	free(text);
	tags = text_repeat("[{\"Config\": \"c\", \"Layers\": [], "
			   "\"RepoTags\": [", "\"t\"", OFFLINE_TAGS_MAX + 1,
			   "]}]");
	check_result("tags", document_docker_archive_parse(
				     tags, strlen(tags), WHAT, &a, &err),
		     &err, ERROR_LIMIT,
		     WHAT ": image 0 has more than 1024 tags "
		     "(OFFLINE_TAGS_MAX)");
	free(tags);
	/* more layers than a manifest may list: counted, left for the
	   caller to refuse when it builds that image's manifest */
	text = text_repeat("[{\"Config\": \"c\", \"Layers\": [", "\"l\"",
			   MANIFEST_LAYERS_MAX + 1, "]}]");
	check_result("layers", document_docker_archive_parse(
				       text, strlen(text), WHAT, &a, &err),
		     &err, ERROR_NONE, NULL);
	check_int("layer count", (long long)a.images[0].layer_count,
		  MANIFEST_LAYERS_MAX + 1);
	assert_null(a.images[0].layers);
	document_docker_archive_release(&a);
	free(text);
}

static void test_docker_manifest(void **state)
{
	struct descriptor config = {
		.media_type = (char *)MT_DOCKER_CONFIG,
		.digest = (char *)D1,
		.size = 1469,
	};
	struct descriptor layers[2] = {
		{ .media_type = (char *)"application/vnd.docker.image.rootfs"
				".diff.tar",
		  .digest = (char *)"sha256:aa", .size = 0 },
		{ .media_type = (char *)"application/vnd.docker.image.rootfs"
				".diff.tar.gzip",
		  .digest = (char *)"sha256:bb", .size = 5000000000LL },
	};
	char *text;

	text = document_docker_manifest(&config, layers, 2);
	check_str("two layers", text,
		  "{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_MANIFEST
		  "\",\"config\":{\"mediaType\":\"" MT_DOCKER_CONFIG
		  "\",\"size\":1469,\"digest\":\"" D1 "\"},\"layers\":["
		  "{\"mediaType\":\"application/vnd.docker.image.rootfs.diff"
		  ".tar\",\"size\":0,\"digest\":\"sha256:aa\"},"
		  "{\"mediaType\":\"application/vnd.docker.image.rootfs.diff"
		  ".tar.gzip\",\"size\":5000000000,\"digest\":\"sha256:bb\"}"
		  "]}");
	free(text);
	text = document_docker_manifest(&config, NULL, 0);
	check_str("no layers", text,
		  "{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_MANIFEST
		  "\",\"config\":{\"mediaType\":\"" MT_DOCKER_CONFIG
		  "\",\"size\":1469,\"digest\":\"" D1 "\"},\"layers\":[]}");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_error),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_image_list_ok),
		cmocka_unit_test(test_image_list_errors),
		cmocka_unit_test(test_image_list_limit),
		cmocka_unit_test(test_auth_ok),
		cmocka_unit_test(test_auth_shapes),
		cmocka_unit_test(test_auth_errors),
		cmocka_unit_test(test_helper_answer),
		cmocka_unit_test(test_oci_layout),
		cmocka_unit_test(test_layout_index_ok),
		cmocka_unit_test(test_layout_index_errors),
		cmocka_unit_test(test_layout_index_limit),
		cmocka_unit_test(test_docker_archive_ok),
		cmocka_unit_test(test_docker_archive_errors),
		cmocka_unit_test(test_docker_archive_limits),
		cmocka_unit_test(test_docker_manifest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
