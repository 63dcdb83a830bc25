import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

/**
 * The reference point of the throughput ratio: a bare Vert.x 5 server that reads a POST body and
 * answers 202, one verticle per event loop. Run: java -cp loadtest/target/loadtest.jar loadtest/bench/BareVertx.java 9999
 */
public class BareVertx {
    public static void main(String[] args) {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 9999;
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        for (int i = 0; i < 2; i++) {
            vertx.createHttpServer()
                    .requestHandler(req -> req.body().onSuccess(b -> req.response()
                            .setStatusCode(202)
                            .putHeader("content-type", "application/json")
                            .end("{\"id\":\"pay_00000000000000000000000000000000\",\"status\":\"pending\"}")))
                    .listen(port, "127.0.0.1");
        }
        System.out.println("bare vert.x on " + port);
    }
}
