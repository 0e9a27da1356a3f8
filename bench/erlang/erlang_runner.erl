%% The comparison workloads (bench/savina/workloads.h) written idiomatically
%% in Erlang: every actor is a process that loops over `receive`. One run per
%% node, printing one JSON line in the format of the C++ runners
%% (bench/savina/report.h) for bench/compare.py, which compiles this file
%% with erlc and runs it with as many schedulers as --threads:
%%
%%   erl +S 2:2 +P 4000000 -noshell -pa DIR -s erlang_runner main \
%%       -extra --workload=ping_pong --size=1000000 --threads=2
%%
%% counter_printer sends by registered name, as Beazley's original does; the
%% other workloads send to pids. Each workload verifies its result as its
%% C++ twin does; exit status 1 if it did not verify, 2 for bad arguments.
%% With --min-seconds=S the run repeats until its measured seconds add up to
%% S (the runner protocol, bench/runner/runner.h).
-module(erlang_runner).
-export([main/0]).

-define(RING_SIZE, 503).
%% For a process whose mailbox can grow long (a sender that never waits):
%% messages stay off its heap, so each garbage collection does not copy the
%% whole backlog (with the default, on_heap, fork_join_throughput ran about
%% 60 times slower here at 2 schedulers).
-define(BACKLOG, [{message_queue_data, off_heap}]).
-define(THROUGHPUT_WORKERS, 64).
-define(BIG_ACTORS, 256).
-define(CHAMENEOS, 100).
-define(PRODUCERS, 16).
-define(CONSUMERS, 16).
-define(BUFFER_CAPACITY, 64).

main() ->
    Flags = maps:from_list([parse_flag(A) || A <- init:get_plain_arguments()]),
    Workload = maps:get("workload", Flags, ""),
    Size = list_to_integer(maps:get("size", Flags, "0")),
    Threads = list_to_integer(maps:get("threads", Flags, "1")),
    MinSeconds = number(maps:get("min-seconds", Flags, "0")),
    case workload(Workload) of
        undefined ->
            io:format(standard_error, "unknown --workload=~s~n", [Workload]),
            halt(2);
        _ when Size =< 0; MinSeconds =:= error; MinSeconds < 0 ->
            io:format(standard_error,
                      "need --size > 0 and --min-seconds >= 0~n", []),
            halt(2);
        Fun ->
            {Items, Seconds, Ok, Extra, Repetitions, Error} =
                repeat_until(MinSeconds, fun() -> Fun(Size) end),
            Fields = [{"system", str("erlang")},
                      {"workload", str(Workload)},
                      {"threads", integer_to_list(Threads)},
                      {"schedulers", integer_to_list(
                                       erlang:system_info(schedulers_online))},
                      {"size", integer_to_list(Size)},
                      {"repetitions", integer_to_list(Repetitions)},
                      {"items", integer_to_list(Items)},
                      {"seconds", float_to_list(Seconds, [{decimals, 6}])},
                      {"items_per_second",
                       float_to_list(Items / Seconds, [{decimals, 1}])},
                      {"peak_rss_kib", integer_to_list(status_kib("VmHWM:"))},
                      {"compiler", str("Erlang/OTP " ++
                                       erlang:system_info(otp_release) ++
                                       " erts " ++
                                       erlang:system_info(version))}]
                ++ [{K, float_to_list(V, [{decimals, 3}])} || {K, V} <- Extra]
                ++ [{"error", str(Error)} || not Ok]
                ++ [{"ok", atom_to_list(Ok)}],
            io:format("{~s}~n", [lists:join(", ", [[str(K), ": ", V]
                                                  || {K, V} <- Fields])]),
            halt(case Ok of true -> 0; false -> 1 end)
    end.

%% "0.3" or "1" as a number; error if neither.
number(Text) ->
    case string:to_float(Text) of
        {Float, ""} -> Float;
        _ ->
            case string:to_integer(Text) of
                {Integer, ""} -> Integer;
                _ -> error
            end
    end.

%% Runs the workload again and again until the measured seconds add up to
%% MinSeconds (bench/runner/repeat.h's RepeatUntil): each repetition with
%% processes of its own, verified, and started only once the previous one's
%% processes have all ended (so its registered names are free again).
%% {Items, Seconds, Ok, Extra, Repetitions, Error}: the totals and the first
%% repetition's extra figures.
repeat_until(MinSeconds, Run) ->
    repeat_until(MinSeconds, Run, erlang:system_info(process_count),
                 {0, 0.0, true, undefined, 0, ""}).

repeat_until(MinSeconds, Run, Baseline, {Items0, Seconds0, _, Extra0, N0, _}) ->
    {Items, Seconds, Ok, Extra} = Run(),
    N = N0 + 1,
    Total = {Items0 + Items, Seconds0 + Seconds, Ok,
             case Extra0 of undefined -> Extra; _ -> Extra0 end, N,
             lists:flatten(io_lib:format("repetition ~b: wrong result", [N]))},
    if
        not Ok; Seconds0 + Seconds >= MinSeconds; Seconds =< 0 -> Total;
        true ->
            case await_processes(Baseline, 10000) of
                ok -> repeat_until(MinSeconds, Run, Baseline, Total);
                Left ->
                    {I, S, _, E, _, _} = Total,
                    {I, S, false, E, N, lists:flatten(io_lib:format(
                        "repetition ~b: ~b processes still running after "
                        "10 s", [N, Left]))}
            end
    end.

%% Waits (up to Ms milliseconds) until no more processes run than Baseline.
await_processes(Baseline, Ms) ->
    case erlang:system_info(process_count) - Baseline of
        Left when Left =< 0 -> ok;
        Left when Ms =< 0 -> Left;
        _ ->
            receive after 1 -> await_processes(Baseline, Ms - 1) end
    end.

parse_flag("--" ++ Flag) ->
    case string:split(Flag, "=") of
        [Key, Value] -> {Key, Value};
        [Key] -> {Key, "true"}
    end;
parse_flag(Other) -> {Other, ""}.

str(Text) -> [$", Text, $"].

workload("counter_printer") -> fun counter_printer/1;
workload("ping_pong") -> fun ping_pong/1;
workload("counting") -> fun counting/1;
workload("thread_ring") -> fun thread_ring/1;
workload("fork_join_throughput") -> fun fork_join_throughput/1;
workload("fork_join_creation") -> fun fork_join_creation/1;
workload("big") -> fun big/1;
workload("chameneos") -> fun chameneos/1;
workload("bounded_buffer") -> fun bounded_buffer/1;
workload("idle_actor_memory") -> fun idle_actor_memory/1;
workload(_) -> undefined.

now_ns() -> erlang:monotonic_time(nanosecond).
seconds_since(Start) -> (now_ns() - Start) / 1.0e9.

%% Savina's per-message computation (report.h's bench::Compute).
compute(Theta) ->
    S = math:sin(Theta),
    S * S.

%% The value of a /proc/self/status line (the emulator's) in KiB, or -1.
status_kib(Field) ->
    case file:read_file("/proc/self/status") of
        {ok, Text} ->
            Lines = string:split(binary_to_list(Text), "\n", all),
            case [L || L <- Lines, lists:prefix(Field, L)] of
                [Line | _] ->
                    [Kib | _] = string:lexemes(
                                  lists:nthtail(length(Field), Line), " \t"),
                    list_to_integer(Kib);
                [] -> -1
            end;
        _ -> -1
    end.

%% ---- counter_printer: by registered name, as Beazley's; items = 2n ----------

counter_printer(N) ->
    Main = self(),
    Start = now_ns(),
    register(printer, spawn_opt(fun() -> printer(Main, 0) end, ?BACKLOG)),
    register(counter, spawn(fun counter/0)),
    counter ! N,
    Sum = receive {sum, S} -> S end,
    Seconds = seconds_since(Start),
    {2 * N, Seconds, Sum =:= N * (N + 1) div 2, []}.

printer(Main, Sum) ->
    receive
        stop -> Main ! {sum, Sum};
        N -> printer(Main, Sum + N)
    end.

counter() ->
    receive
        0 -> printer ! stop;
        N ->
            printer ! N,
            counter ! N - 1,
            counter()
    end.

%% ---- ping_pong: the ball carries the pid to answer; items = n ----------------

ping_pong(N) ->
    Main = self(),
    Start = now_ns(),
    Ping = spawn(fun() -> player(Main, 0) end),
    Pong = spawn(fun() -> player(Main, 0) end),
    Ping ! {ball, Pong, N - 1},
    Hits = receive {hits, A} -> A end + receive {hits, B} -> B end,
    {N, seconds_since(Start), Hits =:= N, []}.

player(Main, Hits) ->
    receive
        {ball, _, Left} when Left < 0 -> Main ! {hits, Hits};
        {ball, From, 0} ->
            From ! {ball, self(), -1},
            Main ! {hits, Hits + 1};
        {ball, From, Left} ->
            From ! {ball, self(), Left - 1},
            player(Main, Hits + 1)
    end.

%% ---- counting: n increments, then a request for the total; items = n --------

counting(N) ->
    Start = now_ns(),
    Counter = spawn_opt(fun() -> counting_actor(0) end, ?BACKLOG),
    Main = self(),
    spawn(fun() ->
                  send_increments(Counter, N),
                  Counter ! {retrieve, self()},
                  receive Total -> Main ! {total, Total} end
          end),
    Total = receive {total, T} -> T end,
    {N, seconds_since(Start), Total =:= N, []}.

send_increments(_, 0) -> ok;
send_increments(Counter, N) ->
    Counter ! increment,
    send_increments(Counter, N - 1).

counting_actor(Count) ->
    receive
        increment -> counting_actor(Count + 1);
        {retrieve, From} -> From ! Count
    end.

%% ---- thread_ring: 503 processes pass a token n hops; items = n --------------
%% A token is the hops left (>= 0); -(I + 1) is the stop lap node I starts.

thread_ring(N) ->
    Main = self(),
    Start = now_ns(),
    Nodes = [spawn(fun() -> ring_node(Main, I) end)
             || I <- lists:seq(0, ?RING_SIZE - 1)],
    [First | _] = Nodes,
    Nexts = tl(Nodes) ++ [First],
    [Node ! {next, Next} || {Node, Next} <- lists:zip(Nodes, Nexts)],
    First ! N,
    Hops = lists:sum([receive {hops, H} -> H end || _ <- Nodes]),
    {N, seconds_since(Start), Hops =:= N + 1, []}.

ring_node(Main, Index) ->
    receive {next, Next} -> ring_loop(Main, Index, Next, 0) end.

ring_loop(Main, Index, Next, Hops) ->
    NextIndex = (Index + 1) rem ?RING_SIZE,
    receive
        Token when Token < 0 ->
            if NextIndex =/= -Token - 1 -> Next ! Token;
               true -> ok
            end,
            Main ! {hops, Hops};
        0 ->
            Next ! -Index - 1,
            Main ! {hops, Hops + 1};
        Token ->
            Next ! Token - 1,
            ring_loop(Main, Index, Next, Hops + 1)
    end.

%% ---- fork_join_throughput: 64 workers x m messages, one sine each; items = 64m

fork_join_throughput(M) ->
    Main = self(),
    Start = now_ns(),
    Workers = [spawn_opt(fun() -> throughput_worker(Main, M, 0, 0.0) end,
                         ?BACKLOG)
               || _ <- lists:seq(1, ?THROUGHPUT_WORKERS)],
    spawn(fun() -> drive(Workers, 0, M) end),
    Handled = lists:sum([receive {handled, H} -> H end || _ <- Workers]),
    Items = ?THROUGHPUT_WORKERS * M,
    {Items, seconds_since(Start), Handled =:= Items, []}.

drive(_, M, M) -> ok;
drive(Workers, I, M) ->
    [Worker ! I || Worker <- Workers],
    drive(Workers, I + 1, M).

throughput_worker(Main, M, M, _) -> Main ! {handled, M};
throughput_worker(Main, M, Handled, Sink) ->
    receive
        I -> throughput_worker(Main, M, Handled + 1,
                               Sink + compute(37.2 + I rem 7))
    end.

%% ---- fork_join_creation: spawn n processes, one message each; items = n -----

fork_join_creation(N) ->
    Main = self(),
    Start = now_ns(),
    Collector = spawn(fun() -> collect(Main, N, 0) end),
    spawn(fun() -> create(Collector, 0, N) end),
    Count = receive {created, C} -> C end,
    {N, seconds_since(Start), Count =:= N, []}.

create(_, N, N) -> ok;
create(Collector, I, N) ->
    Pid = spawn(fun() ->
                        receive V ->
                                Collector ! case compute(V) > -10 of
                                                true -> 1;
                                                false -> 0
                                            end
                        end
                end),
    Pid ! I,
    create(Collector, I + 1, N).

collect(Main, N, Count) when Count >= N -> Main ! {created, Count};
collect(Main, N, Count) -> receive One -> collect(Main, N, Count + One) end.

%% ---- big: 256 processes ping random others, answering pongs -----------------
%% items = 2 * 256 * pings.

big(Pings) ->
    Main = self(),
    Start = now_ns(),
    Pids = [spawn(fun() -> big_start(Main, Pings, A) end)
            || A <- lists:seq(1, ?BIG_ACTORS)],
    Everyone = list_to_tuple(Pids),
    [Pid ! {everyone, Everyone} || Pid <- Pids],
    [receive {done, Pid} -> ok end || Pid <- Pids],  % The last pong of each.
    [Pid ! exit || Pid <- Pids],
    Received = lists:sum([receive {received, Pid, R} -> R end || Pid <- Pids]),
    Items = 2 * ?BIG_ACTORS * Pings,
    {Items, seconds_since(Start), Received =:= Items, []}.

big_start(Main, Pings, Seed) ->
    receive
        {everyone, Everyone} ->
            Random = rand:seed_s(exsss, {Seed, 17, 4711}),
            big_ping(Everyone, Random, Main, Pings, 0, 0)
    end.

big_ping(Everyone, Random, Main, Pings, Pongs, Received) ->
    {Peer, Next} = rand:uniform_s(?BIG_ACTORS, Random),
    element(Peer, Everyone) ! {ping, self()},
    big_loop(Everyone, Next, Main, Pings, Pongs, Received).

big_loop(Everyone, Random, Main, Pings, Pongs, Received) ->
    receive
        {ping, From} ->
            From ! pong,
            big_loop(Everyone, Random, Main, Pings, Pongs, Received + 1);
        pong when Pongs + 1 =:= Pings ->
            Main ! {done, self()},
            big_loop(Everyone, Random, Main, Pings, Pongs + 1, Received + 1);
        pong ->
            big_ping(Everyone, Random, Main, Pings, Pongs + 1, Received + 1);
        exit ->
            Main ! {received, self(), Received}
    end.

%% ---- chameneos: 100 creatures meet through a mall; items = meetings ---------
%% Colours: 0 blue, 1 red, 2 yellow, 3 faded.

chameneos(Meetings) ->
    Main = self(),
    Start = now_ns(),
    Mall = spawn(fun() -> mall(Main, Meetings, none, 0, 0) end),
    [spawn(fun() -> creature(Mall, C rem 3) end)
     || C <- lists:seq(0, ?CHAMENEOS - 1)],
    Total = receive {meetings, T} -> T end,
    %% Every meeting is counted by both creatures.
    {Meetings, seconds_since(Start), Total =:= 2 * Meetings, []}.

complement(A, A) -> A;
complement(3, _) -> 3;
complement(_, 3) -> 3;
complement(A, B) -> 3 - A - B.

mall(Main, Left, Waiting, Exited, Sum) ->
    receive
        {count, Met} when Exited + 1 =:= ?CHAMENEOS ->
            Main ! {meetings, Sum + Met};
        {count, Met} ->
            mall(Main, Left, Waiting, Exited + 1, Sum + Met);
        {meet, _, From} when Left =:= 0 ->
            From ! exit,
            mall(Main, Left, Waiting, Exited, Sum);
        {meet, _, _} = Request when Waiting =:= none ->
            mall(Main, Left, Request, Exited, Sum);
        {meet, Color, From} ->
            {meet, _, WaitingFrom} = Waiting,
            WaitingFrom ! {meet, Color, From},
            mall(Main, Left - 1, none, Exited, Sum)
    end.

creature(Mall, Color) ->
    Mall ! {meet, Color, self()},
    creature_loop(Mall, Color, 0).

creature_loop(Mall, Color, Met) ->
    receive
        exit ->
            Mall ! {count, Met};
        {meet, OtherColor, From} ->
            NewColor = complement(Color, OtherColor),
            From ! {change, NewColor},
            Mall ! {meet, NewColor, self()},
            creature_loop(Mall, NewColor, Met + 1);
        {change, NewColor} ->
            Mall ! {meet, NewColor, self()},
            creature_loop(Mall, NewColor, Met + 1)
    end.

%% ---- bounded_buffer: 16 producers, 16 consumers, a manager holding <= 64 -----
%% items = size rounded down to a multiple of 16.

bounded_buffer(Size) ->
    Main = self(),
    PerProducer = Size div ?PRODUCERS,
    Total = PerProducer * ?PRODUCERS,
    Start = now_ns(),
    Manager = spawn(fun() -> manager_start() end),
    Producers = [spawn(fun() -> producer(Manager, P, PerProducer, 0, 0.0) end)
                 || P <- lists:seq(0, ?PRODUCERS - 1)],
    Consumers = [spawn(fun() -> consumer(Main, Manager, C, 0, 0, 0.0) end)
                 || C <- lists:seq(0, ?CONSUMERS - 1)],
    Manager ! {start, list_to_tuple(Producers), list_to_tuple(Consumers)},
    {Count, Sum} = lists:foldl(
                     fun(_, {C0, S0}) ->
                             receive {consumed, C, S} -> {C0 + C, S0 + S} end
                     end, {0, 0}, Consumers),
    {Total, seconds_since(Start),
     Count =:= Total andalso Sum =:= Total * (Total + 1) div 2, []}.

manager_start() ->
    receive
        {start, Producers, Consumers} ->
            [P ! produce || P <- tuple_to_list(Producers)],
            manager(Producers, Consumers, queue:new(),
                    queue:from_list(lists:seq(0, ?CONSUMERS - 1)),
                    queue:new(), 0)
    end.

manager(Producers, Consumers, Pending, Idle, Blocked, Exited)
  when Exited =:= ?PRODUCERS ->
    case queue:len(Idle) of
        ?CONSUMERS -> [C ! stop || C <- tuple_to_list(Consumers)];
        _ -> manager_receive(Producers, Consumers, Pending, Idle, Blocked,
                             Exited)
    end;
manager(Producers, Consumers, Pending, Idle, Blocked, Exited) ->
    manager_receive(Producers, Consumers, Pending, Idle, Blocked, Exited).

manager_receive(Producers, Consumers, Pending, Idle, Blocked, Exited) ->
    receive
        {data, P, Value} ->
            {Pending1, Idle1} =
                case queue:out(Idle) of
                    {{value, C}, Rest} ->
                        element(C + 1, Consumers) ! {item, Value},
                        {Pending, Rest};
                    {empty, _} ->
                        {queue:in(Value, Pending), Idle}
                end,
            Blocked1 =
                case queue:len(Pending1) >= ?BUFFER_CAPACITY of
                    true -> queue:in(P, Blocked);
                    false ->
                        element(P + 1, Producers) ! produce,
                        Blocked
                end,
            manager(Producers, Consumers, Pending1, Idle1, Blocked1, Exited);
        {available, C} ->
            case queue:out(Pending) of
                {empty, _} ->
                    manager(Producers, Consumers, Pending, queue:in(C, Idle),
                            Blocked, Exited);
                {{value, Value}, Pending1} ->
                    element(C + 1, Consumers) ! {item, Value},
                    Blocked1 =
                        case queue:out(Blocked) of
                            {{value, P}, Rest} ->
                                element(P + 1, Producers) ! produce,
                                Rest;
                            {empty, _} -> Blocked
                        end,
                    manager(Producers, Consumers, Pending1, Idle, Blocked1,
                            Exited)
            end;
        producer_exit ->
            manager(Producers, Consumers, Pending, Idle, Blocked, Exited + 1)
    end.

%% Producer Index makes Index * PerProducer + 1 ... (Index + 1) * PerProducer.
producer(Manager, _, PerProducer, PerProducer, _) ->
    receive produce -> Manager ! producer_exit end;
producer(Manager, Index, PerProducer, Made, Sink) ->
    receive
        produce ->
            Sink1 = Sink + compute(float(Made)),
            Manager ! {data, Index, Index * PerProducer + Made + 1},
            producer(Manager, Index, PerProducer, Made + 1, Sink1)
    end.

consumer(Main, Manager, Index, Count, Sum, Sink) ->
    receive
        stop -> Main ! {consumed, Count, Sum};
        {item, Value} ->
            Sink1 = Sink + compute(float(Value)),
            Manager ! {available, Index},
            consumer(Main, Manager, Index, Count + 1, Sum + Value, Sink1)
    end.

%% ---- idle_actor_memory: n processes waiting for a message -------------------
%% items = n spawned and started; bytes_per_actor = RSS growth / n.

idle_actor_memory(N) ->
    Main = self(),
    erlang:garbage_collect(),
    Before = status_kib("VmRSS:"),
    Start = now_ns(),
    Pids = spawn_idle(Main, N, []),  % The harness's list: 16 bytes a pid.
    await(started, N),
    Seconds = seconds_since(Start),
    After = status_kib("VmRSS:"),
    lists:foreach(fun(Pid) -> Pid ! go end, Pids),
    await(finished, N),
    {N, Seconds, true, [{"bytes_per_actor", (After - Before) * 1024 / N}]}.

await(_, 0) -> ok;
await(Message, N) -> receive Message -> await(Message, N - 1) end.

spawn_idle(_, 0, Pids) -> Pids;
spawn_idle(Main, N, Pids) ->
    Pid = spawn(fun() ->
                        Main ! started,
                        receive go -> Main ! finished end
                end),
    spawn_idle(Main, N - 1, [Pid | Pids]).
