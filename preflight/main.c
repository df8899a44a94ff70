/* image-preflight: will this container image start on this node? */
#include <curl/curl.h>

#include "cli.h"

int main(int argc, char **argv)
{
	int status;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	status = cli_main(argc, argv);
	curl_global_cleanup();
	return status;
}
