/* openv's Dropbear options (overrides default_options.h). */

/* Host keys live where init points -r at (the persistent data partition); these are only the
 * defaults for a bare `dropbear` run. */
#define DSS_PRIV_FILENAME "/etc/dropbear/dropbear_dss_host_key"
#define RSA_PRIV_FILENAME "/etc/dropbear/dropbear_rsa_host_key"
#define ECDSA_PRIV_FILENAME "/etc/dropbear/dropbear_ecdsa_host_key"
#define ED25519_PRIV_FILENAME "/etc/dropbear/dropbear_ed25519_host_key"

/* No X11 on an appliance; no legacy DSS. */
#define DROPBEAR_X11FWD 0
#define DROPBEAR_DSS 0

/* Password authentication stays compiled in so that provisioning (cloud-init ssh_pwauth) can
 * enable it, but init starts the server with -s (no passwords) by default. */
#define DROPBEAR_SVR_PASSWORD_AUTH 1

/* BusyBox's sh is the login shell; PATH for sessions. */
#define DEFAULT_PATH "/usr/bin:/bin"
#define DEFAULT_ROOT_PATH "/usr/sbin:/usr/bin:/sbin:/bin"

/* The "sftp" subsystem runs OpenSSH's sftp-server (packages/openssh), which OpenSSH 9's scp
 * (SFTP by default), sftp and sshfs need. `scp -O` still runs the server-side "scp" from PATH. */
#define DROPBEAR_SFTPSERVER 1
#define SFTPSERVER_PATH "/usr/libexec/sftp-server"
/* QEMU's user networking makes every host connection come from one address (10.0.2.2): allow
 * more than Dropbear's default of 5 unauthenticated connections per address so that parallel
 * logins (scripts, ssh -J, CI) are not dropped. The total stays capped by MAX_UNAUTH_CLIENTS. */
#define MAX_UNAUTH_PER_IP 16
/* Channel data packets of up to 32 KiB (OpenSSH's client accepts 32 KiB, its
 * CHAN_SES_PACKET_DEFAULT), not 16: half the per-packet work (a select, a read, the
 * encryption setup, a write) on the download path. */
#define TRANS_MAX_PAYLOAD_LEN 32768
