/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * syslog-catch — a minimal syslog receiver for the test world: binds a datagram socket at
 * SOCKET (the world's /dev/log) and appends each message, one per line, to FILE.
 *   syslog-catch SOCKET FILE
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[8192];
	int s, out;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path))
		return 2;
	strcpy(sa.sun_path, argv[1]);
	unlink(argv[1]);
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	out = open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (s < 0 || out < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("syslog-catch");
		return 1;
	}
	chmod(argv[1], 0666);
	for (;;) {
		ssize_t n = recv(s, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		while (n > 0 && buf[n - 1] == '\n')
			n--;
		buf[n++] = '\n';
		if (write(out, buf, (size_t)n) < 0)
			return 1;
	}
}
