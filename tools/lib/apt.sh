# shellcheck shell=bash
# apt_install_missing PACKAGE...: install the Debian packages that are not
# installed yet, without letting their postinst scripts start services (the
# project starts what it needs itself, on 127.0.0.1). Needs root.

apt_install_missing() {
    local missing=() package created_policy=
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | \
            grep -q 'install ok installed' || missing+=("$package")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi
    printf '[apt] installing %s\n' "${missing[*]}"
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        created_policy=1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" >/dev/null
    if [ -n "$created_policy" ]; then
        rm -f /usr/sbin/policy-rc.d
    fi
}
