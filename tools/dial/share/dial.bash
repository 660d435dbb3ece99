# tools/dial/share/dial.bash: bash completion for dial(1), installed as
# share/bash-completion/completions/dial. tests/cli/check_docs_match_help.py checks that every
# command and option of `dial --help` (and of each command's --help) is in here.

_dial() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  local command=
  local i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      scan | why | pipe | fault | demo | help) command=${COMP_WORDS[i]}; break ;;
      -*) ;;
      *) break ;;  # a target: a probe, no command
    esac
  done
  local color_opts="--color --color=auto --color=always --color=never"
  local connect_opts="--interface --source --mark --fastopen --mptcp --user-timeout --keepalive
                      --nodelay"
  case $prev in
    --timeout) COMPREPLY=($(compgen -W "250ms 500ms 1s 2s 10s 1m" -- "$cur")); return ;;
    --user-timeout | --keepalive) COMPREPLY=($(compgen -W "5s 30s 1m" -- "$cur")); return ;;
    --interface)
      COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur")); return ;;
    --source | --mark) return ;;
    -p | --ports | --concurrency | --threads | --rate) return ;;
    --proxy) COMPREPLY=($(compgen -W "socks5:// socks5h:// http://" -- "$cur")); return ;;
    --refuse | --drop | --delay | --errno | --seed) return ;;  # dial fault: DEST, a seed
    -i | --input | --log) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --backend) COMPREPLY=($(compgen -W "auto io_uring epoll" -- "$cur")); return ;;
    --show) COMPREPLY=($(compgen -W "closed" -- "$cur")); return ;;
  esac
  local words
  case $command in
    scan)
      words="-p --ports -i --input -4 -6 --rate --timeout --concurrency --threads --backend
             --show --json -q --quiet --interface --mark --user-timeout --keepalive --nodelay --mptcp
             $color_opts -h --help" ;;
    why) words="--timeout --proxy --json $connect_opts $color_opts -h --help" ;;
    pipe) words="--timeout --proxy -v --verbose $connect_opts $color_opts -h --help --" ;;
    fault)
      words="--refuse --drop --delay --errno --rate --seed -v --verbose --log --no-io-uring
             -h --help --" ;;
    demo) words="$color_opts" ;;
    help) return ;;
    *)
      if [[ $cur == -* ]]; then
        words="-v --verbose --timeout --proxy $connect_opts $color_opts -h --help --version --"
      else
        words="scan why pipe fault demo help"
      fi ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _dial dial
