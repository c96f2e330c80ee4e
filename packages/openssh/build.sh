# OpenSSH's sftp-server, static: the SFTP subsystem Dropbear starts (SFTPSERVER_PATH).
# Inputs: SRC (cwd), OUT, JOBS, DEP_MUSL (toolchain), SOURCE_DATE_EPOCH.
# Only sftp-server is built; no OpenSSL, zlib, PAM, PKCS#11 or FIDO (it needs none of them).
export PATH="$DEP_MUSL/bin:$PATH"
CC=riscv64-linux-musl-gcc CFLAGS="-Os -ffile-prefix-map=$SRC=openssh" LDFLAGS="-static" \
./configure --host=riscv64-linux-musl --prefix=/usr --libexecdir=/usr/libexec \
    --sysconfdir=/etc/ssh --with-xauth=/usr/bin/xauth \
    --without-openssl --without-zlib --without-pie --without-rpath \
    --disable-pkcs11 --disable-security-key --without-pam --without-selinux \
    --without-kerberos5 --without-libedit --without-ldns \
    --disable-lastlog --disable-utmp --disable-utmpx --disable-wtmp --disable-wtmpx \
    --disable-libutil --disable-pututline --disable-pututxline >/dev/null
make -s -j"$JOBS" sftp-server >/dev/null
riscv64-linux-gnu-strip -o "$SRC/sftp-server.stripped" sftp-server
mkdir -p "$OUT/libexec"
cp sftp-server.stripped "$OUT/libexec/sftp-server"
