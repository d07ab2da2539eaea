/**
 * LangChain4j's chat model interfaces on llama3j: {@link dev.llama3j.langchain4j.Llama3jChatModel},
 * {@link dev.llama3j.langchain4j.Llama3jStreamingChatModel} and
 * {@link dev.llama3j.langchain4j.Llama3jTokenCountEstimator}.
 */
package dev.llama3j.langchain4j;
