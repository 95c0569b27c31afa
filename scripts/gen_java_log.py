#!/usr/bin/env python3
"""Generate a large, deterministic Java application log (log4j/logback style) with stack traces.

    gen_java_log.py --bytes 1000000000 --seed 7 [-o java1g.log] [--stats]

The benchmark input of benches/records.sh (`logmill grep --records java`). The output is exactly
--bytes bytes of ASCII lines (a final heartbeat line is padded to land on the size) and depends
only on --bytes and --seed: only `random.random()` of the seeded Mersenne Twister is used, whose
stream Python keeps stable, so the same arguments give the same bytes on any machine.

What it looks like:
- every event starts with a log4j `%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p [%t] %c - %m` line:
  timestamps rise from 2026-11-29 00:00:00,000 by a few milliseconds; levels INFO, DEBUG,
  WARN, ERROR; Tomcat, scheduler and Kafka thread names; ~45 message templates of a web shop,
  each with the logger that writes it, with ids, durations and amounts. About one message in 150 mentions an
  exception class in its text (`Retrying after SocketTimeoutException ...`).
- ~5% of events (ERROR, some WARN) carry a stack trace of 20-60 further lines, as log4j prints
  it: the unindented exception header (`java.lang.IllegalStateException: msg`), `\\tat` frames
  (application, Spring, Tomcat, JDBC, Jackson, Kafka; some frame classes hold `Exception` in
  their names, as Spring's do), one or two `Caused by:` blocks with their frames and
  `\\t... N more`, sometimes a `\\tSuppressed:` block.
- no continuation line starts with a date and every first line does: a record starts exactly
  at a line matching `^\\d{4}-\\d\\d-\\d\\d `, which is also what `--records java` finds.

--stats prints to stderr: events (records), traces, records containing `Exception`, lines,
lines containing `Exception` (the figures benches/records.sh and the tests check against).

Standard library only; writes in large batches, ~1 GB in about a minute or two.
"""

import argparse
import random
import sys
import time

START_MS = 1_795_910_400_000  # 2026-11-29T00:00:00Z in epoch milliseconds
TRACE_SHARE = 0.05
MENTION_SHARE = 1 / 150
# Every written event leaves at least this much room for the final, padded heartbeat line.
FINAL_ROOM = 200

LEVELS = [("INFO ", 0.80), ("DEBUG", 0.09), ("WARN ", 0.08), ("ERROR", 0.03)]

THREADS = (
    ["http-nio-8080-exec-%d" % i for i in range(1, 41)]
    + ["scheduling-%d" % i for i in range(1, 5)]
    + ["kafka-consumer-orders-%d" % i for i in range(3)]
    + ["ForkJoinPool.commonPool-worker-%d" % i for i in range(1, 8)]
    + ["main", "HikariPool-1 housekeeper", "task-%d" % 1]
)

# Each message with the logger that writes it. %d: a number, log-uniform in 1..99999; %b: a byte
# (0-255); %s: a word from WORDS; the placeholders are filled in order.
MESSAGES = [
    ("com.acme.shop.service.OrderService", "Order %d placed for customer %d, %b items, total %d.%b EUR"),
    ("com.acme.shop.service.CartService", "Cart %d updated: added sku-%d (qty %b)"),
    ("com.acme.shop.service.CartService", "Cart %d updated: removed sku-%d"),
    ("com.acme.shop.cache.ProductCache", "Fetched product %d from cache in %b ms"),
    ("com.acme.shop.cache.ProductCache", "Cache miss for product %d, loaded in %d ms"),
    ("com.acme.shop.web.filter.RequestLoggingFilter", "GET /api/v1/products/%d completed 200 in %d ms"),
    ("com.acme.shop.web.filter.RequestLoggingFilter", "GET /api/v1/catalog?page=%b&size=%b completed 200 in %d ms"),
    ("com.acme.shop.web.filter.RequestLoggingFilter", "POST /api/v1/orders completed 201 in %d ms"),
    ("com.acme.shop.web.filter.RequestLoggingFilter", "POST /api/v1/cart/%d/items completed 200 in %d ms"),
    ("com.acme.shop.web.filter.RequestLoggingFilter", "PUT /api/v1/accounts/%d completed 204 in %d ms"),
    ("com.acme.shop.web.OrderController", "Creating order for customer %d from cart %d"),
    ("com.acme.shop.web.CheckoutController", "Checkout started for cart %d"),
    ("com.acme.shop.web.AccountController", "Account %d updated its shipping address"),
    ("com.acme.shop.service.PaymentService", "Payment %d authorized for order %d via %s"),
    ("com.acme.shop.service.PaymentService", "Payment %d captured: %d.%b EUR"),
    ("com.acme.shop.client.PaymentGatewayClient", "POST https://payments.internal/api/charge answered 200 in %d ms"),
    ("com.acme.shop.service.InventoryService", "Inventory reserved for order %d: %b units of sku-%d"),
    ("com.acme.shop.service.InventoryService", "Inventory released for order %d"),
    ("com.acme.shop.client.InventoryClient", "GET http://inventory:8080/stock/sku-%d answered 200 in %d ms"),
    ("com.acme.shop.service.ShippingService", "Shipment %d created with carrier %s, ETA %b days"),
    ("com.acme.shop.client.ShippingRatesClient", "Shipping rates fetched for %b parcels in %d ms"),
    ("com.acme.shop.service.EmailService", "Email %s queued for customer %d"),
    ("com.acme.shop.security.LoginAttemptService", "User %d logged in from %b.%b.%b.%b"),
    ("com.acme.shop.security.LoginAttemptService", "Login attempt %d failed for user %d"),
    ("com.acme.shop.security.JwtAuthenticationFilter", "JWT for user %d refreshed, expires in %d s"),
    ("com.acme.shop.service.SearchService", "Search '%s' returned %d hits in %d ms"),
    ("com.acme.shop.service.RecommendationService", "Recommendations for customer %d computed in %d ms (%b candidates)"),
    ("com.acme.shop.service.PricingService", "Price of sku-%d recalculated: %d.%b EUR (rule %s)"),
    ("com.acme.shop.service.PricingService", "Coupon %s applied to cart %d"),
    ("com.acme.shop.messaging.OrderEventsListener", "Consumed %b records from orders-%b at offset %d"),
    ("com.acme.shop.messaging.OrderEventsPublisher", "Published OrderCreated event for order %d to partition %b"),
    ("org.apache.kafka.clients.consumer.internals.ConsumerCoordinator", "[Consumer clientId=consumer-orders-1, groupId=orders] Committed offset %d for partition orders-%b"),
    ("org.apache.kafka.clients.consumer.internals.ConsumerCoordinator", "[Consumer clientId=consumer-orders-1, groupId=orders] Adding newly assigned partitions: orders-%b"),
    ("com.zaxxer.hikari.pool.HikariPool", "HikariPool-1 - Pool stats (total=%b, active=%b, idle=%b, waiting=%b)"),
    ("com.acme.shop.jobs.AbandonedCartJob", "Abandoned cart job: %d carts reminded, %d expired"),
    ("com.acme.shop.jobs.ReindexJob", "Reindexed %d products in %d ms"),
    ("org.hibernate.SQL", "select o.id, o.status, o.total from orders o where o.customer_id=? limit %b"),
    ("org.hibernate.SQL", "insert into order_items (order_id, sku, qty, price) values (?, ?, ?, ?)"),
    ("com.acme.shop.repository.OrderRepository", "Slow query on orders (%d ms): customer %d"),
    ("com.acme.shop.repository.CustomerRepository", "Customer %d address validated in %d ms"),
    ("org.springframework.web.servlet.DispatcherServlet", "Completed initialization in %b ms"),
    ("io.micrometer.core.instrument.MeterRegistry", "Metrics flushed: %d meters"),
    ("com.acme.shop.web.filter.RequestLoggingFilter", "Request %d took %d ms, above the %b ms budget"),
]

# Messages that mention an exception class without a stack trace.
MENTIONS = [
    ("com.acme.shop.client.InventoryClient", "Retrying call to inventory-service after SocketTimeoutException (attempt %b of 3)"),
    ("com.acme.shop.web.CatalogController", "Request %d failed with ResponseStatusException 404, returning fallback"),
    ("com.acme.shop.service.OrderService", "Recovered from OptimisticLockException on order %d, retrying"),
    ("org.apache.catalina.core.StandardWrapperValve", "Ignoring ClientAbortException for request %d: client went away"),
    ("com.acme.shop.client.PaymentGatewayClient", "Payment gateway answered with a retryable Exception (code %b)"),
]

# The first lines of events with a stack trace.
FAILURES = [
    ("org.apache.catalina.core.StandardWrapperValve", "Servlet.service() for servlet [dispatcherServlet] threw exception"),
    ("com.acme.shop.web.OrderController", "Unhandled error processing order %d"),
    ("org.springframework.kafka.listener.KafkaMessageListenerContainer", "Listener failed for record at offset %d"),
    ("org.springframework.scheduling.support.TaskUtils$LoggingErrorHandler", "Unexpected error occurred in scheduled task"),
    ("com.acme.shop.web.CheckoutController", "Could not complete checkout for cart %d"),
    ("org.hibernate.engine.jdbc.spi.SqlExceptionHelper", "SQL Error: 0, SQLState: 23505"),
    ("com.acme.shop.service.PaymentService", "Charging order %d failed"),
]

WORDS = [
    "visa", "mastercard", "paypal", "dhl", "ups", "fedex", "welcome", "receipt", "shoes",
    "jacket", "summer-sale", "black friday", "SPRING10", "FREESHIP", "tiered", "bulk",
]

EXCEPTIONS = [
    ("java.lang.IllegalStateException", "Order %d is already in state SHIPPED"),
    ("java.lang.IllegalArgumentException", "Quantity must be positive: -%d"),
    ("java.lang.NullPointerException", "Cannot invoke \"com.acme.shop.model.Customer.getAddress()\" because \"customer\" is null"),
    ("org.springframework.dao.DataIntegrityViolationException", "could not execute statement; SQL [n/a]; constraint [orders_pkey]"),
    ("org.springframework.web.client.ResourceAccessException", "I/O error on POST request for \"http://payments:8080/api/charge\": Read timed out"),
    ("org.springframework.web.server.ResponseStatusException", "404 NOT_FOUND \"Product %d not found\""),
    ("com.acme.shop.service.PaymentDeclinedException", "Payment %d declined by issuer: insufficient funds"),
    ("com.acme.shop.service.OutOfStockException", "sku-%d: requested %d, available 0"),
    ("org.apache.kafka.common.errors.TimeoutException", "Timeout of 60000ms expired before the position for partition orders-%d could be determined"),
    ("jakarta.persistence.OptimisticLockException", "Row was updated or deleted by another transaction: order %d"),
    ("com.fasterxml.jackson.databind.exc.InvalidFormatException", "Cannot deserialize value of type `java.math.BigDecimal` from String \"%d,5\""),
]

CAUSES = [
    ("java.net.SocketTimeoutException", "Read timed out"),
    ("java.net.ConnectException", "Connection refused"),
    ("java.sql.SQLTransientConnectionException", "HikariPool-1 - Connection is not available, request timed out after 30000ms."),
    ("org.postgresql.util.PSQLException", "ERROR: duplicate key value violates unique constraint \"orders_pkey\""),
    ("java.io.IOException", "Broken pipe"),
    ("java.util.concurrent.TimeoutException", "Waited %d ms"),
    ("com.fasterxml.jackson.core.JsonParseException", "Unexpected character ('<' (code 60)): expected a valid value"),
    ("java.lang.OutOfMemoryError", "Java heap space"),
]

APP_FRAMES = [
    "com.acme.shop.service.OrderService.placeOrder(OrderService.java:%d)",
    "com.acme.shop.service.OrderService.lambda$placeOrder$3(OrderService.java:%d)",
    "com.acme.shop.service.PaymentService.charge(PaymentService.java:%d)",
    "com.acme.shop.service.InventoryService.reserve(InventoryService.java:%d)",
    "com.acme.shop.service.PricingService.price(PricingService.java:%d)",
    "com.acme.shop.service.CartService.addItem(CartService.java:%d)",
    "com.acme.shop.client.PaymentGatewayClient.post(PaymentGatewayClient.java:%d)",
    "com.acme.shop.client.InventoryClient.reserve(InventoryClient.java:%d)",
    "com.acme.shop.repository.OrderRepository.save(OrderRepository.java:%d)",
    "com.acme.shop.web.OrderController.create(OrderController.java:%d)",
    "com.acme.shop.web.CartController.add(CartController.java:%d)",
    "com.acme.shop.messaging.OrderEventsListener.onMessage(OrderEventsListener.java:%d)",
    "com.acme.shop.web.filter.RequestLoggingFilter.doFilterInternal(RequestLoggingFilter.java:%d)",
    "com.acme.shop.security.JwtAuthenticationFilter.doFilterInternal(JwtAuthenticationFilter.java:%d)",
]

LIB_FRAMES = [
    "java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)",
    "java.base/java.lang.reflect.Method.invoke(Method.java:580)",
    "java.base/java.net.SocketInputStream.socketRead0(Native Method)",
    "java.base/java.net.SocketInputStream.read(SocketInputStream.java:%d)",
    "java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1144)",
    "java.base/java.util.concurrent.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:642)",
    "java.base/java.lang.Thread.run(Thread.java:1583)",
    "org.springframework.aop.support.AopUtils.invokeJoinpointUsingReflection(AopUtils.java:355)",
    "org.springframework.aop.framework.ReflectiveMethodInvocation.proceed(ReflectiveMethodInvocation.java:196)",
    "org.springframework.aop.framework.CglibAopProxy$CglibMethodInvocation.proceed(CglibAopProxy.java:%d)",
    "org.springframework.transaction.interceptor.TransactionInterceptor.invoke(TransactionInterceptor.java:119)",
    "org.springframework.transaction.interceptor.TransactionAspectSupport.invokeWithinTransaction(TransactionAspectSupport.java:%d)",
    "org.springframework.dao.support.PersistenceExceptionTranslationInterceptor.invoke(PersistenceExceptionTranslationInterceptor.java:137)",
    "org.springframework.web.method.support.InvocableHandlerMethod.doInvoke(InvocableHandlerMethod.java:255)",
    "org.springframework.web.method.support.InvocableHandlerMethod.invokeForRequest(InvocableHandlerMethod.java:188)",
    "org.springframework.web.servlet.mvc.method.annotation.ServletInvocableHandlerMethod.invokeAndHandle(ServletInvocableHandlerMethod.java:118)",
    "org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter.invokeHandlerMethod(RequestMappingHandlerAdapter.java:926)",
    "org.springframework.web.servlet.DispatcherServlet.doDispatch(DispatcherServlet.java:1089)",
    "org.springframework.web.servlet.DispatcherServlet.doService(DispatcherServlet.java:979)",
    "org.springframework.web.servlet.FrameworkServlet.processRequest(FrameworkServlet.java:1014)",
    "org.springframework.web.servlet.FrameworkServlet.doPost(FrameworkServlet.java:914)",
    "org.springframework.web.servlet.handler.HandlerExceptionResolverComposite.resolveException(HandlerExceptionResolverComposite.java:80)",
    "org.springframework.web.servlet.mvc.method.annotation.ExceptionHandlerExceptionResolver.doResolveHandlerMethodException(ExceptionHandlerExceptionResolver.java:%d)",
    "org.springframework.web.filter.OncePerRequestFilter.doFilter(OncePerRequestFilter.java:116)",
    "org.springframework.web.client.RestTemplate.doExecute(RestTemplate.java:%d)",
    "org.springframework.web.client.RestTemplate.postForObject(RestTemplate.java:%d)",
    "org.springframework.kafka.listener.KafkaMessageListenerContainer$ListenerConsumer.doInvokeRecordListener(KafkaMessageListenerContainer.java:%d)",
    "org.apache.kafka.clients.consumer.KafkaConsumer.poll(KafkaConsumer.java:%d)",
    "org.apache.catalina.core.ApplicationFilterChain.internalDoFilter(ApplicationFilterChain.java:174)",
    "org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:149)",
    "org.apache.catalina.core.StandardWrapperValve.invoke(StandardWrapperValve.java:167)",
    "org.apache.catalina.core.StandardContextValve.invoke(StandardContextValve.java:90)",
    "org.apache.catalina.authenticator.AuthenticatorBase.invoke(AuthenticatorBase.java:482)",
    "org.apache.catalina.core.StandardHostValve.invoke(StandardHostValve.java:115)",
    "org.apache.catalina.valves.ErrorReportValve.invoke(ErrorReportValve.java:93)",
    "org.apache.catalina.connector.CoyoteAdapter.service(CoyoteAdapter.java:344)",
    "org.apache.coyote.http11.Http11Processor.service(Http11Processor.java:391)",
    "org.apache.tomcat.util.net.NioEndpoint$SocketProcessor.doRun(NioEndpoint.java:1736)",
    "org.apache.tomcat.util.threads.TaskThread$WrappingRunnable.run(TaskThread.java:61)",
    "org.hibernate.engine.jdbc.spi.SqlExceptionHelper.convert(SqlExceptionHelper.java:%d)",
    "org.hibernate.internal.ExceptionConverterImpl.convert(ExceptionConverterImpl.java:%d)",
    "org.hibernate.internal.SessionImpl.firePersist(SessionImpl.java:%d)",
    "org.postgresql.core.v3.QueryExecutorImpl.receiveErrorResponse(QueryExecutorImpl.java:2725)",
    "org.postgresql.jdbc.PgPreparedStatement.executeUpdate(PgPreparedStatement.java:%d)",
    "com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:%d)",
    "com.zaxxer.hikari.pool.ProxyPreparedStatement.executeUpdate(ProxyPreparedStatement.java:61)",
    "com.fasterxml.jackson.databind.ObjectMapper.readValue(ObjectMapper.java:%d)",
    "com.fasterxml.jackson.core.JsonParser._constructError(JsonParser.java:2477)",
]


def day_prefix(ms):
    """`YYYY-MM-DD HH:MM:SS` of epoch milliseconds `ms` (UTC), without the fraction."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms // 1000))


class Gen:
    def __init__(self, seed):
        self.rand = random.Random(seed).random
        self.ms = START_MS
        self.sec = -1
        self.sec_text = ""
        self.events = 0
        self.traces = 0
        self.exc_records = 0
        self.lines = 0
        self.exc_lines = 0

    def below(self, n):
        return int(self.rand() * n)

    def pick(self, seq):
        return seq[int(self.rand() * len(seq))]

    def fill(self, template):
        parts = template.split("%")
        out = [parts[0]]
        for part in parts[1:]:
            kind, rest = part[0], part[1:]
            if kind == "d":
                out.append(str(int(10 ** (5 * self.rand()))))
            elif kind == "b":
                out.append(str(self.below(256)))
            else:
                out.append(self.pick(WORDS))
            out.append(rest)
        return "".join(out)

    def stamp(self):
        self.ms += 1 + self.below(40)
        sec = self.ms // 1000
        if sec != self.sec:
            self.sec = sec
            self.sec_text = day_prefix(self.ms)
        return "%s,%03d" % (self.sec_text, self.ms % 1000)

    def first_line(self, level, logger_message):
        logger, template = logger_message
        return "%s %s [%s] %s - %s\n" % (
            self.stamp(),
            level,
            self.pick(THREADS),
            logger,
            self.fill(template),
        )

    def frames(self, n):
        out = []
        for _ in range(n):
            frame = self.pick(APP_FRAMES) if self.rand() < 0.3 else self.pick(LIB_FRAMES)
            if "%d" in frame:
                frame = frame % (20 + self.below(900))
            out.append("\tat " + frame + "\n")
        return out

    def trace(self):
        """The lines after the first line of an event with a stack trace: 20-60 of them."""
        want = 20 + self.below(41)
        name, msg = self.pick(EXCEPTIONS)
        causes = 1 + (self.rand() < 0.3) if self.rand() < 0.7 else 0
        suppressed = self.rand() < 0.05
        # Lines that are not frames: the header, per cause its line and `... N more`, and
        # per suppressed block its line and its `... N more`.
        fixed = 1 + 2 * causes + 2 * suppressed
        frames = want - fixed
        # Split the frames between the blocks: the top block takes about half or more, the
        # others share the rest, each at least one frame.
        blocks = 1 + causes + suppressed
        if blocks == 1:
            sizes = [frames]
        else:
            top = min(frames // 2 + self.below(frames // 4 + 1), frames - (blocks - 1))
            each, extra = divmod(frames - top, blocks - 1)
            sizes = [top] + [each] * (blocks - 2) + [each + extra]
        out = [name + ": " + self.fill(msg) + "\n"]
        out += self.frames(sizes[0])
        k = 1
        if suppressed:
            sname, smsg = self.pick(CAUSES)
            out.append("\tSuppressed: " + sname + ": " + self.fill(smsg) + "\n")
            out += ["\t" + f for f in self.frames(sizes[k])]
            out.append("\t\t... %d more\n" % (sizes[0] - 1 if sizes[0] > 1 else 1))
            k += 1
        for _ in range(causes):
            cname, cmsg = self.pick(CAUSES)
            out.append("Caused by: " + cname + ": " + self.fill(cmsg) + "\n")
            out += self.frames(sizes[k])
            out.append("\t... %d more\n" % (10 + self.below(60)))
            k += 1
        return out

    def event(self):
        """One event's text and whether it mentions `Exception`."""
        if self.rand() < TRACE_SHARE:
            level = "ERROR" if self.rand() < 0.7 else "WARN "
            lines = [self.first_line(level, self.pick(FAILURES))]
            lines += self.trace()
        else:
            r = self.rand()
            for level, share in LEVELS:
                r -= share
                if r < 0:
                    break
            if self.rand() < MENTION_SHARE:
                lines = [self.first_line(level, self.pick(MENTIONS))]
            else:
                lines = [self.first_line(level, self.pick(MESSAGES))]
        return lines

    def count(self, lines):
        self.events += 1
        self.lines += len(lines)
        self.traces += len(lines) > 1
        hits = sum(1 for line in lines if "Exception" in line)
        self.exc_lines += hits
        self.exc_records += hits > 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bytes", type=int, required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("-o", "--output", default="-")
    ap.add_argument("--stats", action="store_true", help="print counts to stderr")
    args = ap.parse_args()
    if args.bytes < FINAL_ROOM:
        sys.exit("gen_java_log.py: --bytes must be at least %d" % FINAL_ROOM)
    out = sys.stdout if args.output == "-" else open(args.output, "w", newline="\n")
    gen = Gen(args.seed)
    written = 0
    batch = []
    batch_bytes = 0
    while True:
        lines = gen.event()
        text = "".join(lines)
        if written + batch_bytes + len(text) + FINAL_ROOM > args.bytes:
            break
        gen.count(lines)
        batch.append(text)
        batch_bytes += len(text)
        if batch_bytes > 1 << 22:
            out.write("".join(batch))
            written += batch_bytes
            batch, batch_bytes = [], 0
    out.write("".join(batch))
    written += batch_bytes
    # The final heartbeat line, padded to land on --bytes exactly.
    head = gen.first_line("INFO ", ("com.acme.shop.Heartbeat", "heartbeat "))
    pad = args.bytes - written - len(head)
    last = head[:-1] + "x" * pad + "\n"
    gen.count([last])
    out.write(last)
    written += len(last)
    out.flush()
    assert written == args.bytes, (written, args.bytes)
    if args.stats:
        sys.stderr.write(
            "events\t%d\ntraces\t%d\nexception_records\t%d\nlines\t%d\nexception_lines\t%d\n"
            % (gen.events, gen.traces, gen.exc_records, gen.lines, gen.exc_lines)
        )


if __name__ == "__main__":
    main()
