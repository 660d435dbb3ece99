/* bench/socks5_raw.c: the baseline of bench/proxy_bench.sh: a SOCKS5 CONNECT (RFC 1928, no
 * authentication, an IPv4 target) written by hand with blocking POSIX calls, as a careful C
 * programmer would: socket, connect, the 3-byte greeting, its 2-byte reply, the 10-byte request,
 * its 10-byte reply (an IPv4 BND, as microsocks sends), close. Each connect's wall time in
 * microseconds, one per line.
 *
 *   socks5_raw PROXY_PORT TARGET_PORT COUNT      (both on 127.0.0.1) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int read_exact(int s, unsigned char* buf, size_t n) {
  while (n > 0) {
    ssize_t r = recv(s, buf, n, 0);
    if (r <= 0) return -1;
    buf += r;
    n -= (size_t)r;
  }
  return 0;
}

/* One tunnel; 0 on success. */
static int socks5_connect(unsigned short proxy_port, unsigned short target_port) {
  struct sockaddr_in to;
  memset(&to, 0, sizeof to);
  to.sin_family = AF_INET;
  to.sin_port = htons(proxy_port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  unsigned char hello[3] = {5, 1, 0}, reply[10];
  unsigned char req[10] = {5,
                           1,
                           0,
                           1,
                           127,
                           0,
                           0,
                           1,
                           (unsigned char)(target_port >> 8),
                           (unsigned char)(target_port & 0xff)};
  int ok = connect(s, (struct sockaddr*)&to, sizeof to) == 0 &&
           send(s, hello, sizeof hello, MSG_NOSIGNAL) == (ssize_t)sizeof hello &&
           read_exact(s, reply, 2) == 0 && reply[0] == 5 && reply[1] == 0 &&
           send(s, req, sizeof req, MSG_NOSIGNAL) == (ssize_t)sizeof req &&
           read_exact(s, reply, 10) == 0 && reply[0] == 5 && reply[1] == 0;
  close(s);
  return ok ? 0 : -1;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: socks5_raw PROXY_PORT TARGET_PORT COUNT\n");
    return 2;
  }
  const unsigned short proxy_port = (unsigned short)atoi(argv[1]);
  const unsigned short target_port = (unsigned short)atoi(argv[2]);
  const long count = atol(argv[3]);
  for (long i = 0; i < count; ++i) {
    const double t0 = now_us();
    if (socks5_connect(proxy_port, target_port) != 0) {
      fprintf(stderr, "socks5_raw: connect %ld failed\n", i);
      return 1;
    }
    printf("%.1f\n", now_us() - t0);
  }
  return 0;
}
